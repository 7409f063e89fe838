package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// logSink collects the signer's JSON log and reports the address of its
// "listening" line.
type logSink struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	scanned   int
	listening chan string
	found     bool
}

func newLogSink() *logSink { return &logSink{listening: make(chan string, 1)} }

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	for !s.found {
		rest := s.buf.Bytes()[s.scanned:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := rest[:i]
		s.scanned += i + 1
		var m struct{ Msg, Addr string }
		if json.Unmarshal(line, &m) == nil && m.Msg == "listening" {
			s.found = true
			s.listening <- m.Addr
		}
	}
	return len(p), nil
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// signerProc is a signer started by a test through runWith.
type signerProc struct {
	URL  string // http://127.0.0.1:PORT
	Addr string
	logs *logSink
	stop func() error // cancels the context and returns run's error
}

// baseEnv is a valid minimal environment; tests add to it.
func baseEnv() map[string]string {
	return map[string]string{
		"S3PRESIGN_BUCKET":      "test-bucket",
		"S3PRESIGN_REGION":      "us-east-1",
		"S3PRESIGN_ENDPOINT":    "http://127.0.0.1:9",
		"S3PRESIGN_PATH_STYLE":  "true",
		"S3PRESIGN_LISTEN_ADDR": "127.0.0.1:0",
		"S3PRESIGN_LOG_LEVEL":   "debug",
		"S3PRESIGN_AUTH_MODE":   "none",
		// Functional tests send bursts from one address; the rate-limit
		// tests set their own small limits.
		"S3PRESIGN_RATE_LIMIT":  "1000",
		"S3PRESIGN_RATE_BURST":  "1000",
		"AWS_ACCESS_KEY_ID":     "AKIDSIGNERTEST",
		"AWS_SECRET_ACCESS_KEY": "signer-test-secret-key",
	}
}

func getenvOf(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// startSigner runs the signer on a free 127.0.0.1 port and waits for its
// "listening" log line (the listener is bound before it is logged). It is
// stopped in t.Cleanup unless the test stops it first.
func startSigner(t *testing.T, env map[string]string, deps runDeps) *signerProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := newLogSink()
	done := make(chan error, 1)
	go func() { done <- runWith(ctx, []string{"signer"}, getenvOf(env), io.Discard, logs, deps) }()

	p := &signerProc{logs: logs}
	var (
		once    sync.Once
		runErr  error
		stopped bool // by the test itself, which then judges runErr
	)
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				runErr = fmt.Errorf("signer did not stop within 30s")
			}
		})
		return runErr
	}
	p.stop = func() error { stopped = true; return stop() }
	t.Cleanup(func() {
		if err := stop(); err != nil && !stopped {
			t.Errorf("signer stopped with %v", err)
		}
		if t.Failed() {
			t.Logf("signer log:\n%s", logs)
		}
	})
	select {
	case p.Addr = <-logs.listening:
	case err := <-done:
		done <- err
		t.Fatalf("signer exited before listening: %v\n%s", err, logs)
	case <-time.After(15 * time.Second):
		t.Fatalf("signer did not log \"listening\" within 15s:\n%s", logs)
	}
	p.URL = "http://" + p.Addr
	return p
}

// call sends a request to the signer and returns status and body.
func call(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	resp, b := send(t, method, url, body)
	return resp.StatusCode, b
}

// send makes one request with extra headers (name, value pairs) and returns
// the response (body read) and the body.
func send(t *testing.T, method, url, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// tryCall is call for other goroutines: it reports failures instead of
// failing the test.
func tryCall(method, url, body string) (int, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// callJSON is call that decodes a JSON answer into v and checks the status.
func callJSON(t *testing.T, method, url, body string, status int, v any) {
	t.Helper()
	got, b := call(t, method, url, body)
	if got != status {
		t.Fatalf("%s %s: status %d, want %d (body %s)", method, url, got, status, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, url, b, err)
		}
	}
}

// errorCode returns the code of a JSON error body ("" if it is not one).
func errorCode(b []byte) string {
	var e struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(b, &e) != nil || e.Error.Message == "" {
		return ""
	}
	return e.Error.Code
}

// skipSlow skips t under -short (make check), saying what makes it slow;
// make test runs it.
func skipSlow(t *testing.T, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip(why + ": skipped under -short (make check); make test runs it")
	}
}
