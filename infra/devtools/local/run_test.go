package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3presign/s3presign/infra/devtools/local/localtest"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls the output until re matches or run returns (on done) or the
// deadline passes, and returns the first submatch. run's error goes back
// into done (buffered 1), so a deferred <-done after a failure returns.
func waitFor(t *testing.T, out *syncBuffer, re *regexp.Regexp, done chan error) string {
	t.Helper()
	deadline := time.After(time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("run returned %v before printing %s; output:\n%s", err, re, out)
		case <-deadline:
			t.Fatalf("no %s in the output after a minute:\n%s", re, out)
		case <-tick.C:
		}
	}
}

// What `make run` runs: it starts the stack, prints the page's address and
// what the versitygw transform left out, serves the page, and on Ctrl-C
// (here: ctx cancelled) stops everything and returns nil.
func TestRunServesThePageAndStopsOnInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	args := []string{"local", "-temp", "-s3-addr", "127.0.0.1:0", "-signer-addr", "127.0.0.1:0",
		"-page-addr", "127.0.0.1:0", "-other-addr", "127.0.0.1:0", "-signer-bin", localtest.SignerBinary(t)}
	go func() { done <- run(ctx, args, func(string) string { return "" }, &stdout, &stderr) }()

	page := waitFor(t, &stdout, regexp.MustCompile(`Upload page:\s+(http://127\.0\.0\.1:\d+/)`), done)
	signer := waitFor(t, &stdout, regexp.MustCompile(`signer\s+(http://127\.0\.0\.1:\d+)`), done)
	for _, want := range []string{"DenyInsecureTransport", "DenyPresignedOlderThanMaxExpiry", "condition s3:authType", "Press Ctrl-C to stop."} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}

	resp, err := http.Get(page + "config.js")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"signerURL":"`+signer+`"`) {
		t.Errorf("config.js %s does not name the signer %s", body, signer)
	}
	if resp, err := http.Get(signer + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("signer not healthy while running: %v", err)
	} else {
		resp.Body.Close()
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v, want nil; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return within 30s of the interrupt")
	}
	if !strings.HasSuffix(stdout.String(), "stopped.\n") {
		t.Errorf("output does not end with stopped.:\n%s", stdout.String())
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for _, u := range []string{signer + "/healthz", page} {
		if resp, err := client.Get(u); err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers after stop", u)
		}
	}
}

func TestRunRefusesBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown environment", []string{"-env", "nope"}, `unknown environment "nope"`},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
		{"page not on 127.0.0.1", []string{"-temp", "-page-addr", "0.0.0.0:0"}, "must be 127.0.0.1:PORT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"local"}, tt.args...), func(string) string { return "" }, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// `make run AUTH=apikey`: the signer runs in API-key mode and the key made
// for this run is printed once; it works, and a call without it gets 401.
func TestRunAPIKeyModePrintsAWorkingKey(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	args := []string{"local", "-temp", "-auth", "apikey", "-s3-addr", "127.0.0.1:0", "-signer-addr", "127.0.0.1:0",
		"-page-addr", "127.0.0.1:0", "-other-addr", "127.0.0.1:0", "-signer-bin", localtest.SignerBinary(t)}
	go func() { done <- run(ctx, args, func(string) string { return "" }, &stdout, &stderr) }()
	defer func() {
		cancel()
		<-done
	}()

	key := waitFor(t, &stdout, regexp.MustCompile(`export S3PRESIGN_KEY=(s3p_\S+)`), done)
	signer := waitFor(t, &stdout, regexp.MustCompile(`signer\s+(http://127\.0\.0\.1:\d+)`), done)
	waitFor(t, &stdout, regexp.MustCompile(`(Press Ctrl-C to stop\.)`), done)
	if n := strings.Count(stdout.String(), key); n != 1 {
		t.Errorf("the key is printed %d times, want once", n)
	}
	if got := apiKeyCall(t, signer+"/v1/uploads", ""); got != http.StatusUnauthorized {
		t.Errorf("without the key: %d, want 401", got)
	}
	if got := apiKeyCall(t, signer+"/v1/uploads", key); got != http.StatusCreated {
		t.Errorf("with the printed key: %d, want 201", got)
	}
}
