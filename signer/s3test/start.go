package s3test

import (
	"context"
	"testing"
)

// Option adjusts the Config Start runs with.
type Option func(*Config)

// WithDataDir keeps bucket data in dir instead of a test temp directory.
func WithDataDir(dir string) Option { return func(c *Config) { c.DataDir = dir } }

// WithIAMDir keeps the IAM store in dir instead of a test temp directory.
func WithIAMDir(dir string) Option { return func(c *Config) { c.IAMDir = dir } }

// WithRoot sets the root credentials instead of random ones.
func WithRoot(access, secret string) Option {
	return func(c *Config) { c.RootAccessKey, c.RootSecret = access, secret }
}

// WithRegion sets the server's region.
func WithRegion(region string) Option { return func(c *Config) { c.Region = region } }

// WithArgs adds global versitygw flags.
func WithArgs(args ...string) Option {
	return func(c *Config) { c.ExtraArgs = append(c.ExtraArgs, args...) }
}

// Start runs versitygw for the test on a free 127.0.0.1 port, with its data
// and IAM store in separate test temp directories and random root
// credentials, and waits until it is healthy. It fails the test with "run
// `make tools` first" when the binary is missing (it never builds it). The
// server is stopped and waited for in t.Cleanup; its output is logged when
// the test failed.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
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
