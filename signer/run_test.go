package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"signer", "-version"}, {"signer", "version"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, getenvOf(nil), &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.HasPrefix(out.String(), "signer dev (commit none, go") {
			t.Errorf("%v printed %q", args, out.String())
		}
	}
}

func TestUnknownSubcommandAndFlag(t *testing.T) {
	for _, args := range [][]string{{"signer", "frobnicate"}, {"signer", "-nope"}, {"signer", "serve", "extra"}} {
		var stderr bytes.Buffer
		if err := run(context.Background(), args, getenvOf(baseEnv()), &bytes.Buffer{}, &stderr); err == nil {
			t.Errorf("%v: got nil error", args)
		}
	}
}

func TestBadConfigStopsTheStart(t *testing.T) {
	env := baseEnv()
	env["S3PRESIGN_MAX_SIZE"] = "lots"
	env["S3PRESIGN_LOG_LEVEL"] = "chatty"
	delete(env, "S3PRESIGN_BUCKET")
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"signer"}, getenvOf(env), &bytes.Buffer{}, &stderr)
	if err == nil {
		t.Fatal("got nil error")
	}
	for _, name := range []string{"S3PRESIGN_MAX_SIZE", "S3PRESIGN_LOG_LEVEL", "S3PRESIGN_BUCKET"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	if strings.Contains(stderr.String(), "listening") {
		t.Error("the signer listened despite a bad configuration")
	}
}

func TestServeHealthcheckAndShutdown(t *testing.T) {
	p := startSigner(t, baseEnv(), runDeps{})
	if status, _ := call(t, "GET", p.URL+"/healthz", ""); status != 200 {
		t.Fatalf("/healthz: %d", status)
	}
	if status, _ := call(t, "GET", p.URL+"/readyz", ""); status != 200 {
		t.Fatalf("/readyz: %d", status)
	}
	hcEnv := getenvOf(map[string]string{"S3PRESIGN_LISTEN_ADDR": p.Addr})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"signer", "healthcheck"}, hcEnv, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("healthcheck against a live signer: %v", err)
	}
	if err := p.stop(); err != nil {
		t.Fatalf("run returned %v after the context ended, want nil", err)
	}
	if !strings.Contains(p.logs.String(), `"msg":"stopped"`) {
		t.Errorf("no \"stopped\" line:\n%s", p.logs)
	}
	if err := run(context.Background(), []string{"signer", "healthcheck"}, hcEnv, &out, &bytes.Buffer{}); err == nil {
		t.Fatal("healthcheck against a stopped signer: got nil error")
	}
	// Startup lines say where URLs point, never with credentials.
	for _, leak := range []string{"signer-test-secret-key", "AKIDSIGNERTEST"} {
		if strings.Contains(p.logs.String(), leak) {
			t.Errorf("log holds %q", leak)
		}
	}
}

// gate is a credentials provider that answers at once until the test arms
// it, and then waits until it is opened. It hands out credentials that expire
// within the refresh window, so every request asks it again: a request can
// be held in flight, and the test knows when it is. Arming, rather than
// counting calls, keeps the start-up check out of it: how many times the
// credentials cache asks the provider at start depends on scheduling.
type gate struct {
	mu      sync.Mutex
	armed   bool
	once    sync.Once
	entered chan struct{} // closed when a request waits on the gate
	open    chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}), open: make(chan struct{})} }

// arm makes every later call wait until the gate is opened.
func (g *gate) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = true
}

func (g *gate) Retrieve(ctx context.Context) (aws.Credentials, error) {
	g.mu.Lock()
	armed := g.armed
	g.mu.Unlock()
	if armed {
		g.once.Do(func() { close(g.entered) })
		<-g.open
	}
	return aws.Credentials{AccessKeyID: "ASIAGATE", SecretAccessKey: "gate-secret", SessionToken: "gate-token",
		CanExpire: true, Expires: time.Now().Add(3 * time.Minute)}, nil
}

func TestShutdownDrainsInFlightRequests(t *testing.T) {
	g := newGate()
	p := startSigner(t, baseEnv(), runDeps{credentials: g})
	g.arm()
	res := make(chan int, 1)
	go func() {
		s, _ := tryCall("POST", p.URL+"/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`)
		res <- s
	}()
	<-g.entered // the request is in its handler, waiting for credentials

	stopped := make(chan error, 1)
	go func() { stopped <- p.stop() }()
	// Once draining starts the listener is closed: new connections fail.
	for deadline := time.Now().Add(4 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", p.Addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections 4s after shutdown began")
		}
	}
	select {
	case err := <-stopped:
		t.Fatalf("run returned (%v) with a request in flight", err)
	default:
	}
	close(g.open) // the in-flight request may finish now
	if status := <-res; status != 201 {
		t.Fatalf("in-flight request: status %d, want 201", status)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("run returned %v, want nil after a clean drain", err)
	}
}

func TestShutdownTimeoutIsAnError(t *testing.T) {
	g := newGate()
	env := baseEnv()
	env["S3PRESIGN_SHUTDOWN_TIMEOUT"] = "1s"
	p := startSigner(t, env, runDeps{credentials: g})
	g.arm()
	go tryCall("POST", p.URL+"/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`) //nolint:errcheck // cut off on purpose
	<-g.entered
	start := time.Now()
	err := p.stop()
	close(g.open)
	if err == nil || !strings.Contains(err.Error(), "drain did not finish") {
		t.Fatalf("got %v, want a drain timeout error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stop took %s with a 1s shutdown timeout", d)
	}
}

func TestCORSPreflightOverHTTP(t *testing.T) {
	env := baseEnv()
	env["S3PRESIGN_CORS_ORIGINS"] = "http://127.0.0.1:5173"
	p := startSigner(t, env, runDeps{})
	preflight := func(origin string) *http.Response {
		t.Helper()
		req, err := http.NewRequest("OPTIONS", p.URL+"/v1/uploads", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight("http://127.0.0.1:5173")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:5173" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Fatalf("preflight from the page's origin: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight("http://127.0.0.1:6666"); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
	}
}
