package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a concurrency-safe stdout.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logAddr returns the addr of the first log line with message msg.
func logAddr(logs, msg string) string {
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var m struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &m) == nil && m.Msg == msg {
			return m.Addr
		}
	}
	return ""
}

// runWithStdout runs the signer like startSigner but keeps stdout, where
// EMF lines go. stop cancels it and returns run's error.
func runWithStdout(t *testing.T, env map[string]string) (api string, logs *logSink, stdout *lockedBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs, stdout = newLogSink(), &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- runWith(ctx, []string{"signer"}, getenvOf(env), stdout, logs, runDeps{}) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				t.Error("signer did not stop within 30s")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	select {
	case addr := <-logs.listening:
		return "http://" + addr, logs, stdout, stop
	case err := <-done:
		t.Fatalf("signer exited before listening: %v\n%s", err, logs)
	case <-time.After(15 * time.Second):
		t.Fatalf("signer did not listen within 15s:\n%s", logs)
	}
	return "", nil, nil, nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetricsEndToEnd(t *testing.T) {
	env := baseEnv()
	env["S3PRESIGN_ENVIRONMENT"] = "e2e"
	env["S3PRESIGN_METRICS_INTERVAL"] = "15m" // only the flush at shutdown
	env["S3PRESIGN_METRICS_ADDR"] = "127.0.0.1:0"
	api, logs, stdout, stop := runWithStdout(t, env)
	metricsAddr := logAddr(logs.String(), "metrics listening")
	if metricsAddr == "" {
		t.Fatalf("no \"metrics listening\" log line:\n%s", logs)
	}

	if c, _ := call(t, "POST", api+"/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`); c != 201 {
		t.Fatalf("upload: %d", c)
	}
	if c, _ := call(t, "POST", api+"/v1/uploads", `{"fileName":"a.svg","contentType":"image/svg+xml","size":5}`); c != 415 {
		t.Fatalf("refused upload: %d", c)
	}

	// /metrics is served on its own address, not on the API's.
	status, body := get(t, "http://"+metricsAddr+"/metrics")
	for _, want := range []string{
		`s3presign_request_duration_seconds_count{environment="e2e",route="POST /v1/uploads"} 2`,
		`s3presign_refused_total{environment="e2e",code="unsupported_media_type"} 1`,
		`s3presign_urls_issued_total{environment="e2e",operation="upload"} 1`,
	} {
		if status != 200 || !strings.Contains(body, want+"\n") {
			t.Errorf("GET /metrics = %d, lacks %q:\n%s", status, want, body)
		}
	}
	if c, _ := get(t, api+"/metrics"); c != http.StatusNotFound {
		t.Errorf("the API address serves /metrics: %d", c)
	}
	if out := stdout.String(); out != "" {
		t.Errorf("EMF written before the interval or shutdown: %s", out)
	}

	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	emf := stdout.String()
	for _, want := range []string{
		`"Environment":"e2e","Route":"POST /v1/uploads","Requests":2,`,
		`"Environment":"e2e","Code":"unsupported_media_type","Refused":1}`,
		`"Environment":"e2e","Operation":"upload","URLsIssued":1}`,
	} {
		if !strings.Contains(emf, want) {
			t.Errorf("EMF at shutdown lacks %s:\n%s", want, emf)
		}
	}
	if strings.Contains(emf, "X-Amz") || strings.Contains(emf, "a.png") {
		t.Errorf("EMF holds a URL or file name:\n%s", emf)
	}
	// The log stays on stderr: stdout holds EMF lines only.
	for line := range strings.Lines(emf) {
		if !strings.HasPrefix(line, `{"_aws":`) {
			t.Errorf("stdout line is not EMF: %s", line)
		}
	}
}

func TestMetricsOff(t *testing.T) {
	env := baseEnv()
	env["S3PRESIGN_METRICS_NAMESPACE"] = "off"
	api, logs, stdout, stop := runWithStdout(t, env)
	if c, _ := call(t, "POST", api+"/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`); c != 201 {
		t.Fatalf("upload: %d", c)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if out := stdout.String(); out != "" {
		t.Errorf("EMF off, but stdout has %s", out)
	}
	if logAddr(logs.String(), "metrics listening") != "" {
		t.Error("a metrics listener started with S3PRESIGN_METRICS_ADDR unset")
	}
}
