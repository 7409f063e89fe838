package s3test

import (
	"context"
	"testing"
)

// Option adjusts the Config Start runs with.
type Option func(*Config)

// WithArgs adds global versitygw flags.
func WithArgs(args ...string) Option {
	return func(c *Config) { c.ExtraArgs = append(c.ExtraArgs, args...) }
}

// Start runs versitygw for the test on a free 127.0.0.1 port, with its data
// and IAM store in separate test temp directories and random root
// credentials, and waits until it is healthy. It fails the test with "run
// `make tools` first" when the binary is missing (it never builds it). The
// server is stopped and waited for in t.Cleanup; its output is logged when
// the test failed. Under -short (make check) it skips the test instead:
// the fast loop starts no servers.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	SkipShort(t)
	var cfg Config
	for _, o := range opts {
		o(&cfg)
	}
	var err error
	if cfg.Bin, err = FindBinary(); err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.IAMDir == "" {
		cfg.IAMDir = t.TempDir()
	}
	s, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("stop versitygw: %v", err)
		}
		if t.Failed() {
			t.Logf("versitygw output:\n%s", s.Logs())
		}
	})
	return s
}

// SkipShort skips t under -short, saying why: a test that needs versitygw
// (a real S3 server process) belongs to make test, not to the fast make check.
func SkipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs versitygw (a real S3 server): skipped under -short (make check); make test runs it")
	}
}
