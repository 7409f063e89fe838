// Package localtest starts the local stack and a headless Chromium for
// tests: the same stack.Start that `make run` uses, on free 127.0.0.1 ports
// with a temporary data directory, and a browser with a fresh profile that
// records the requests it sends. Every process is stopped in t.Cleanup.
//
// A test package that uses it calls Main from its TestMain, so the signer
// binary is built once per test binary and removed afterwards.
package localtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/devtools/local/stack"
	"github.com/s3presign/s3presign/signer/reporoot"
)

var (
	buildOnce sync.Once
	buildDir  string
	signerBin string
	buildErr  error
)

// Main runs the tests and removes the signer binary Stack built.
func Main(m *testing.M) int {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	return code
}

// SignerBinary builds the signer from the working tree with signer/build.sh
// once per test binary (the Go build cache makes that a link step when
// nothing changed), so the tests always run the current code rather than a
// stale .bin/signer.
func SignerBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the signer binary: skipped under -short (make check); make test runs it")
	}
	buildOnce.Do(func() {
		root, err := reporoot.Find()
		if err != nil {
			buildErr = err
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "s3presign-signer-"); buildErr != nil {
			return
		}
		signerBin = filepath.Join(buildDir, "signer")
		start := time.Now()
		// signer/build.sh is the one build command (Makefile and Dockerfile).
		cmd := exec.Command("sh", filepath.Join(root, "signer", "build.sh"), signerBin)
		cmd.Env = append(os.Environ(), "VERSION=test", "COMMIT=test")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build the signer: %v\n%s", err, out)
			return
		}
		t.Logf("built the signer in %s", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return signerBin
}

// DevEnv returns the dev environment's settings from the repository's
// cdk.json, exactly as `make run` reads them.
func DevEnv(t testing.TB) config.Environment {
	t.Helper()
	root, err := reporoot.Find()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := config.LoadCDKJSON(raw, "dev")
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// Stack starts the local stack with the dev settings on free ports and a
// temporary data directory. The page runs on a free port too, so the
// allowed origins and referer patterns are moved to it by stack.Rebase:
// the test page's real origin is what the environment allows. The stack
// is closed in t.Cleanup; the signer's output is logged if the test failed.
func Stack(t testing.TB, adjust ...func(*stack.Options)) *stack.Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the local stack (versitygw and the signer): skipped under -short (make check); make test runs it")
	}
	o := stack.Options{
		Env:           DevEnv(t),
		SignerBin:     SignerBinary(t),
		S3Addr:        "",
		SignerAddr:    "",
		PageAddr:      "127.0.0.1:0",
		OtherPageAddr: "127.0.0.1:0",
		Log:           logWriter{t},
	}
	for _, f := range adjust {
		f(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := stack.Start(ctx, o)
	if err != nil {
		t.Fatalf("start the local stack: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("signer output:\n%s", st.SignerOutput())
			t.Logf("versitygw output:\n%s", st.S3.Logs())
		}
		if err := st.Close(); err != nil {
			t.Errorf("stop the local stack: %v", err)
		}
	})
	return st
}

// logWriter sends the stack's progress lines to t.Log.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(trimNewline(b)))
	return len(b), nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	return b
}
