package auth

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

func newTestLimiter(t *testing.T, c *fakeClock, mod func(*LimiterConfig)) *Limiter {
	t.Helper()
	cfg := LimiterConfig{
		Default:          authconfig.Limit{PerSecond: 1, Burst: 3},
		TrustedProxyHops: 1,
		Now:              c.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	l, err := NewLimiter(cfg)
	if err != nil {
		t.Fatalf("NewLimiter: %v", err)
	}
	return l
}

// fromClient returns a request as the ALB forwards it: the client's own
// X-Forwarded-For (spoof, may be empty) with the client's address appended.
func fromClient(spoof, client string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/uploads", nil)
	r.RemoteAddr = "10.0.0.5:3456" // the ALB
	xff := client
	if spoof != "" {
		xff = spoof + ", " + client
	}
	r.Header.Set("X-Forwarded-For", xff)
	return r
}

func retryAfter(err error) string {
	h := http.Header{}
	SetHeaders(h, err)
	return h.Get("Retry-After")
}

func TestLimiterBurstThen429ThenRecovers(t *testing.T) {
	c := newClock()
	l := newTestLimiter(t, c, nil)
	alice := Caller{Name: "alice"}
	r := fromClient("", "203.0.113.9")
	for i := range 3 {
		if err := l.AllowCaller(r, alice); err != nil {
			t.Fatalf("request %d within the burst of 3: %v", i+1, err)
		}
	}
	err := l.AllowCaller(r, alice)
	if apierr.CodeOf(err) != apierr.RateLimited {
		t.Fatalf("request 4: %v, want rate_limited", err)
	}
	if ra := retryAfter(err); ra != "1" {
		t.Errorf("Retry-After = %q, want 1", ra)
	}
	if err := l.AllowCaller(r, Caller{Name: "bob"}); err != nil {
		t.Fatalf("another caller is limited by alice's bucket: %v", err)
	}
	c.Advance(999 * time.Millisecond)
	if err := l.AllowCaller(r, alice); apierr.CodeOf(err) != apierr.RateLimited {
		t.Fatalf("after 999ms: %v, want still limited", err)
	}
	c.Advance(time.Millisecond)
	if err := l.AllowCaller(r, alice); err != nil {
		t.Fatalf("after the window (1s): %v, want allowed", err)
	}
	if err := l.AllowCaller(r, alice); apierr.CodeOf(err) != apierr.RateLimited {
		t.Fatalf("right after: %v, want limited again (one token refilled)", err)
	}
}

func TestLimiterRetryAfterRoundsUp(t *testing.T) {
	tests := []struct {
		perSecond float64
		want      string
	}{
		{1, "1"},
		{0.3, "4"}, // 3.33s
		{0.1, "10"},
		{50, "1"}, // 20ms, at least 1
	}
	for _, tt := range tests {
		c := newClock()
		l := newTestLimiter(t, c, func(cfg *LimiterConfig) { cfg.Default = authconfig.Limit{PerSecond: tt.perSecond, Burst: 1} })
		r := fromClient("", "203.0.113.9")
		_ = l.AllowCaller(r, Caller{Name: "a"})
		err := l.AllowCaller(r, Caller{Name: "a"})
		if got := retryAfter(err); got != tt.want {
			t.Errorf("rate %v/s: Retry-After = %q, want %q", tt.perSecond, got, tt.want)
		}
	}
}

func TestLimiterSpoofedForwardedForDoesNotEscape(t *testing.T) {
	c := newClock()
	l := newTestLimiter(t, c, nil)
	for i := range 3 {
		if err := l.AllowIP(fromClient(fmt.Sprintf("192.0.2.%d", i), "203.0.113.9")); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	for i := range 20 {
		spoof := fmt.Sprintf("198.51.100.%d, 192.0.2.%d", i, i)
		if err := l.AllowIP(fromClient(spoof, "203.0.113.9")); apierr.CodeOf(err) != apierr.RateLimited {
			t.Fatalf("spoofed X-Forwarded-For %q escaped the limit: %v", spoof, err)
		}
	}
	// control: a different real client has its own bucket
	if err := l.AllowIP(fromClient("203.0.113.9", "203.0.113.10")); err != nil {
		t.Fatalf("another client (spoofing the first) was limited: %v", err)
	}
}

func TestLimiterIPv6SharesA64(t *testing.T) {
	c := newClock()
	l := newTestLimiter(t, c, func(cfg *LimiterConfig) { cfg.TrustedProxyHops = 0 })
	r := func(addr string) *http.Request {
		q := httptest.NewRequest(http.MethodGet, "/", nil)
		q.RemoteAddr = addr
		return q
	}
	for i := range 3 {
		if err := l.AllowIP(r(fmt.Sprintf("[2001:db8:1:2::%x]:1", i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.AllowIP(r("[2001:db8:1:2::ffff]:1")); apierr.CodeOf(err) != apierr.RateLimited {
		t.Fatalf("a new address in the same /64: %v, want rate_limited", err)
	}
	if err := l.AllowIP(r("[2001:db8:1:3::1]:1")); err != nil {
		t.Fatalf("another /64: %v, want allowed", err)
	}
}

func TestLimiterPerCallerLimits(t *testing.T) {
	c := newClock()
	l := newTestLimiter(t, c, func(cfg *LimiterConfig) {
		cfg.Overrides = map[string]authconfig.Limit{"bulk": {Burst: 5}, "keyed": {Burst: 7}}
	})
	r := fromClient("", "203.0.113.9")
	count := func(cl Caller) int {
		n := 0
		for n < 100 && l.AllowCaller(r, cl) == nil {
			n++
		}
		return n
	}
	tests := []struct {
		caller Caller
		want   int
	}{
		{Caller{Name: "plain"}, 3},                                         // default burst
		{Caller{Name: "bulk"}, 5},                                          // override by name
		{Caller{Name: "keyed", Limit: authconfig.Limit{Burst: 2}}, 2},      // the key line's limit comes first
		{Caller{Name: "fast", Limit: authconfig.Limit{PerSecond: 100}}, 3}, // zero burst: default's
	}
	for _, tt := range tests {
		if got := count(tt.caller); got != tt.want {
			t.Errorf("caller %+v: %d requests allowed in a burst, want %d", tt.caller, got, tt.want)
		}
	}
}

func TestLimiterAnonymousIsPerIP(t *testing.T) {
	c := newClock()
	l := newTestLimiter(t, c, func(cfg *LimiterConfig) { cfg.PerIP = authconfig.Limit{Burst: 2} })
	a := fromClient("", "203.0.113.9")
	for i := range 2 {
		if err := l.AllowCaller(a, Caller{}); err != nil {
			t.Fatalf("anonymous request %d: %v", i+1, err)
		}
	}
	if err := l.AllowCaller(a, Caller{}); apierr.CodeOf(err) != apierr.RateLimited {
		t.Fatalf("anonymous request 3: %v, want rate_limited (per-IP burst 2)", err)
	}
	if err := l.AllowCaller(fromClient("", "203.0.113.10"), Caller{}); err != nil {
		t.Fatalf("anonymous request from another IP: %v", err)
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	t.Run("LRU cap", func(t *testing.T) {
		c := newClock()
		l := newTestLimiter(t, c, func(cfg *LimiterConfig) { cfg.MaxEntries = 100 })
		for i := range 10000 {
			_ = l.AllowIP(fromClient("", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)))
			if n := l.Len(); n > 100 {
				t.Fatalf("after %d clients: %d buckets held, cap 100", i+1, n)
			}
		}
		// the most recent client's bucket survived; its state is kept
		last := fromClient("", "10.0.39.15") // i = 9999
		_ = l.AllowIP(last)
		_ = l.AllowIP(last)
		if err := l.AllowIP(last); apierr.CodeOf(err) != apierr.RateLimited {
			t.Fatalf("the most recently used bucket was evicted: %v", err)
		}
	})
	t.Run("idle buckets are dropped", func(t *testing.T) {
		c := newClock()
		l := newTestLimiter(t, c, func(cfg *LimiterConfig) { cfg.IdleTTL = time.Minute })
		for i := range 50 {
			_ = l.AllowCaller(fromClient("", "203.0.113.9"), Caller{Name: fmt.Sprintf("c%d", i)})
		}
		if n := l.Len(); n != 50 {
			t.Fatalf("%d buckets, want 50", n)
		}
		c.Advance(30 * time.Second)
		_ = l.AllowCaller(fromClient("", "203.0.113.9"), Caller{Name: "c0"}) // c0 used again
		c.Advance(31 * time.Second)
		_ = l.AllowCaller(fromClient("", "203.0.113.9"), Caller{Name: "new"})
		if n := l.Len(); n != 2 {
			t.Fatalf("%d buckets after 61s idle, want 2 (c0, used 31s ago, and new)", n)
		}
	})
	t.Run("a bucket is kept until it would be full again", func(t *testing.T) {
		c := newClock()
		l := newTestLimiter(t, c, func(cfg *LimiterConfig) {
			cfg.Default = authconfig.Limit{PerSecond: 0.01, Burst: 1} // refills in 100s
			cfg.IdleTTL = time.Second
		})
		r := fromClient("", "203.0.113.9")
		_ = l.AllowCaller(r, Caller{Name: "slow"})
		c.Advance(50 * time.Second)
		if err := l.AllowCaller(r, Caller{Name: "slow"}); apierr.CodeOf(err) != apierr.RateLimited {
			t.Fatalf("after 50s of a 100s refill: %v, want still limited (eviction must not reset it)", err)
		}
	})
}

func TestNewLimiterReportsEveryProblem(t *testing.T) {
	_, err := NewLimiter(LimiterConfig{
		Default:          authconfig.Limit{PerSecond: 0, Burst: 0},
		TrustedProxyHops: -1,
		MaxEntries:       -5,
		Overrides:        map[string]authconfig.Limit{"../x": {}},
	})
	if err == nil {
		t.Fatal("NewLimiter accepted a bad config")
	}
	for _, want := range []string{"default rate limit", "trusted proxy hops", "max entries", "override"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}
