package localtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/s3presign/s3presign/signer/reporoot"
)

// ChromiumEnv overrides the browser binary (default: chromium on PATH, the
// command `make browser` checks for and installs from Debian when missing).
const ChromiumEnv = "S3PRESIGN_CHROMIUM"

// ActionTimeout bounds one Browser.Run.
const ActionTimeout = 30 * time.Second

// Request is one request the page's tab sent, as Chromium reported it.
type Request struct {
	// Method and URL of the request.
	Method, URL string
	// Headers as sent, names as Chromium gives them (Referer, Content-Type, ...).
	Headers map[string]string
}

// Header returns the value of the named header, matched case-insensitively.
func (r Request) Header(name string) (string, bool) {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// Browser is a headless Chromium tab with a fresh profile that records the
// requests the tab sends.
type Browser struct {
	ctx context.Context
	t   testing.TB

	mu   sync.Mutex
	reqs []Request
}

// NewBrowser starts headless Chromium (chromium on PATH, or
// $S3PRESIGN_CHROMIUM) with --no-sandbox (tests run as root),
// --disable-background-networking and friends (the network here is closed)
// and a user-data-dir of its own, opens a tab and enables the network
// domain. The browser is closed and waited for in t.Cleanup. A missing
// binary fails the test with the command that installs it.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	if testing.Short() {
		t.Skip("needs headless Chromium: skipped under -short (make check); make test runs it")
	}
	bin := os.Getenv(ChromiumEnv)
	if bin == "" {
		bin = "chromium"
	}
	path, lookErr := exec.LookPath(bin)
	if lookErr != nil {
		t.Fatalf("chromium not found as %s (%v): run `make browser` (Debian package chromium) or set %s", bin, lookErr, ChromiumEnv)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.WindowSize(900, 860),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, args ...any) {
		t.Logf("chromedp: "+format, args...)
	}))
	b := &Browser{ctx: ctx, t: t}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // kills Chromium and waits for it
	})
	start := time.Now()
	// The first Do starts the browser; its context must have no timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		e, ok := ev.(*network.EventRequestWillBeSent)
		if !ok || e.Request == nil {
			return
		}
		h := make(map[string]string, len(e.Request.Headers))
		for k, v := range e.Request.Headers {
			h[k] = fmt.Sprint(v)
		}
		b.mu.Lock()
		b.reqs = append(b.reqs, Request{Method: e.Request.Method, URL: e.Request.URL, Headers: h})
		b.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{})
		return err
	}))
	t.Logf("chromium started in %s", time.Since(start).Round(time.Millisecond))
	return b
}

// Do runs steps in the tab within ActionTimeout, failing the test on error.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := b.TryDo(steps...); err != nil {
		b.t.Fatal(err)
	}
}

// TryDo runs steps in the tab within ActionTimeout and returns the error.
func (b *Browser) TryDo(steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, ActionTimeout)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// Run runs one action that returns a value in b's tab within ActionTimeout,
// failing the test on error.
func Run[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, ActionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// Requests returns the requests recorded so far.
func (b *Browser) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.reqs...)
}

// RequestsTo returns the recorded requests whose URL starts with prefix.
func (b *Browser) RequestsTo(prefix string) []Request {
	var out []Request
	for _, r := range b.Requests() {
		if strings.HasPrefix(r.URL, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// Screenshot saves a PNG of the whole page as <repo>/.artifacts/<name> and
// returns its path and bytes.
func (b *Browser) Screenshot(name string) (string, []byte) {
	b.t.Helper()
	buf := Run(b, chromedp.FullScreenshot(100)) // quality 100: PNG
	root, err := reporoot.Find()
	if err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(root, ".artifacts", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return path, buf
}
