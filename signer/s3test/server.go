// Package s3test runs versitygw, a real S3-compatible server that checks
// SigV4 signatures, POST policies, checksums and conditional writes, for tests
// and for the local stack.
//
// The versitygw binary is not built here: `make tools` builds it into
// <repo>/.bin (or $S3PRESIGN_BIN_DIR). Tests call Start, which binds a free
// 127.0.0.1 port, waits for the health endpoint and stops the server in
// t.Cleanup. Programs call Run and Close. StartProcess, which Run uses, also
// starts other servers (the local stack's signer) the same way.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Region is the region versitygw runs in unless Config.Region says otherwise.
const Region = "us-east-1"

// healthPath is the health endpoint versitygw is started with.
const healthPath = "/health"

// Config describes one versitygw process. Zero values pick test defaults.
type Config struct {
	// Bin is the versitygw binary; "" finds it with FindBinary.
	Bin string
	// Addr is the listen address, host 127.0.0.1; "" picks a free port.
	Addr string
	// DataDir is the posix backend's root (one directory per bucket); ""
	// makes a temporary directory that Close removes.
	DataDir string
	// IAMDir holds the internal IAM user store; it must not be inside
	// DataDir (versitygw would list it as a bucket). "" makes a temporary
	// directory that Close removes.
	IAMDir string
	// RootAccessKey and RootSecret are the root credentials; "" makes random ones.
	RootAccessKey, RootSecret string
	// Region is the server's region; "" is Region (us-east-1).
	Region string
	// ExtraArgs are added to the global versitygw flags (before "posix").
	ExtraArgs []string
	// StartTimeout bounds the wait for the health endpoint; 0 is 15s.
	StartTimeout time.Duration
}

// Server is a running versitygw process.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string
	// RootAccessKey and RootSecret are the root user's credentials. The root
	// user skips bucket policies; use CreateUser for policy tests.
	RootAccessKey, RootSecret string
	// Region is the server's region.
	Region string
	// DataDir and IAMDir are the absolute directories the server uses.
	DataDir, IAMDir string

	bin     string
	proc    *Process
	temps   []string // directories Close removes
	closing sync.Once
}

// Run starts versitygw as cfg says and waits until its health endpoint
// answers 200. ctx bounds only the start; the server runs until Close.
func Run(ctx context.Context, cfg Config) (*Server, error) {
	var err error
	if cfg.Bin == "" {
		if cfg.Bin, err = FindBinary(); err != nil {
			return nil, err
		}
	}
	if cfg.Region == "" {
		cfg.Region = Region
	}
	if cfg.RootAccessKey == "" {
		cfg.RootAccessKey = "ROOT" + strings.ToUpper(randomHex(8))
	}
	if cfg.RootSecret == "" {
		cfg.RootSecret = randomHex(20)
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 15 * time.Second
	}
	if cfg.Addr != "" {
		host, _, err := net.SplitHostPort(cfg.Addr)
		if err != nil || host != "127.0.0.1" {
			return nil, fmt.Errorf("s3test: address %q must be 127.0.0.1:PORT", cfg.Addr)
		}
	}

	s := &Server{bin: cfg.Bin, RootAccessKey: cfg.RootAccessKey, RootSecret: cfg.RootSecret, Region: cfg.Region}
	if s.DataDir, err = s.dir(cfg.DataDir, "versitygw-data-"); err == nil {
		s.IAMDir, err = s.dir(cfg.IAMDir, "versitygw-iam-")
	}
	if err == nil && within(s.IAMDir, s.DataDir) {
		err = fmt.Errorf("s3test: IAM dir %s is inside data dir %s", s.IAMDir, s.DataDir)
	}
	if err != nil {
		s.removeTemps()
		return nil, err
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	s.proc, err = StartProcess(ctx, ProcessConfig{
		Name: "versitygw", Addr: cfg.Addr, ReadyPath: healthPath,
		Command: func(addr string) *exec.Cmd {
			args := []string{
				"--access", cfg.RootAccessKey, "--secret", cfg.RootSecret,
				"--region", cfg.Region, "--port", addr, "--health", healthPath,
				"--iam-dir", s.IAMDir, "--quiet",
			}
			args = append(args, cfg.ExtraArgs...)
			args = append(args, "posix", s.DataDir)
			cmd := exec.Command(s.bin, args...)
			cmd.Env = cleanEnv()
			return cmd
		},
	})
	if err != nil {
		s.removeTemps()
		return nil, fmt.Errorf("s3test: %w", err)
	}
	s.Endpoint = s.proc.URL
	return s, nil
}

// Close stops the server, waits for it to exit and removes the temporary
// directories Run made. It is safe to call more than once; the error is
// always nil.
func (s *Server) Close() error {
	s.closing.Do(func() {
		if s.proc != nil {
			s.proc.Stop()
		}
		s.removeTemps()
	})
	return nil
}

// Logs returns the last 64 KiB of the server's output.
func (s *Server) Logs() string {
	if s.proc == nil {
		return ""
	}
	return s.proc.Output()
}

func (s *Server) dir(dir, pattern string) (string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", pattern)
		if err != nil {
			return "", fmt.Errorf("s3test: %w", err)
		}
		s.temps = append(s.temps, d)
		return d, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	return abs, nil
}

func (s *Server) removeTemps() {
	for _, d := range s.temps {
		os.RemoveAll(d)
	}
	s.temps = nil
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// cleanEnv is the environment without the variables versitygw reads its
// settings or credentials from, so that only the flags given apply.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "VGW_"), strings.HasPrefix(name, "ROOT_"), strings.HasPrefix(name, "ADMIN_"),
			strings.HasPrefix(name, "AWS_"), strings.HasPrefix(name, "AZ_"), name == "LOGFILE", name == "WEBHOOK":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b)
}

// errNoBinary is wrapped by FindBinary's error.
var errNoBinary = errors.New("versitygw binary not found: run `make tools` first")
