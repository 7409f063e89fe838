package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

// apiErrorWriter stands in for the API's one error writer: it logs the error,
// sets the refusal's headers and maps the kind to a status.
func apiErrorWriter(log *slog.Logger) ErrorWriter {
	status := map[Kind]int{
		KindUnauthorized: http.StatusUnauthorized,
		KindForbidden:    http.StatusForbidden,
		KindRateLimited:  http.StatusTooManyRequests,
		KindUnavailable:  http.StatusServiceUnavailable,
	}
	return func(w http.ResponseWriter, r *http.Request, err error) {
		code, ok := status[KindOf(err)]
		if !ok {
			code = http.StatusInternalServerError
		}
		log.Info("request refused", "status", code, "error", err.Error())
		SetHeaders(w.Header(), err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": string(KindOf(err)), "message": MessageOf(err)}})
	}
}

// issuingHandler stands in for an upload handler: it reads the caller and
// writes the audit line.
func issuingHandler(t *testing.T, log *slog.Logger, c *fakeClock) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, ok := FromContext(r.Context())
		if !ok {
			t.Error("handler reached without a caller in the context")
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		Audit(r.Context(), log, Issued{
			Caller: caller, Operation: "upload", Key: "uploads/" + caller.Prefix() + "01hx/cat.png",
			SizeLimit: 1 << 20, ExpiresAt: c.Now().Add(5 * time.Minute), RequestID: "req-1",
		})
		_, _ = w.Write([]byte(caller.Name))
	})
}

func TestMiddlewareWithAPIKeys(t *testing.T) {
	a, aliceKey, _, bobKey := newKeysFor(t)
	c := newClock()
	lim := newTestLimiter(t, c, func(cfg *LimiterConfig) {
		cfg.Default = authconfig.Limit{PerSecond: 1, Burst: 20}
		cfg.PerIP = authconfig.Limit{Burst: 3}
	})
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	onErr := apiErrorWriter(log)
	h := Middleware(a, lim, onErr)(RateLimit(lim, onErr)(issuingHandler(t, log, c)))

	do := func(client, auth string) *httptest.ResponseRecorder {
		r := fromClient("", client)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	steps := []struct {
		name, client, auth string
		wantStatus         int
		wantBody           string // for 200
		wantHeader         [2]string
	}{
		{"alice's key (control)", "203.0.113.9", "Bearer " + aliceKey, 200, "alice", [2]string{}},
		{"missing header", "198.51.100.1", "", 401, "", [2]string{"WWW-Authenticate", `Bearer realm="s3presign"`}},
		{"wrong key 1", "198.51.100.1", "Bearer s3p_wrong", 401, "", [2]string{"WWW-Authenticate", `Bearer realm="s3presign", error="invalid_token", error_description="unknown API key"`}},
		{"wrong key 2", "198.51.100.1", "Bearer s3p_wrong2", 401, "", [2]string{}},
		{"guessing past the per-IP burst", "198.51.100.1", "Bearer s3p_wrong3", 429, "", [2]string{"Retry-After", "1"}},
		{"still throttled, even with no header", "198.51.100.1", "", 429, "", [2]string{}},
		{"another client's failures are its own (control)", "198.51.100.2", "Bearer s3p_wrong", 401, "", [2]string{}},
		{"a right key from the throttled IP still works", "198.51.100.1", "Bearer " + bobKey, 200, "bob", [2]string{}},
	}
	for _, s := range steps {
		w := do(s.client, s.auth)
		if w.Code != s.wantStatus {
			t.Fatalf("%s: status %d, want %d; body %s", s.name, w.Code, s.wantStatus, w.Body)
		}
		if s.wantBody != "" && w.Body.String() != s.wantBody {
			t.Errorf("%s: body %q, want %q", s.name, w.Body, s.wantBody)
		}
		if s.wantHeader[0] != "" && w.Header().Get(s.wantHeader[0]) != s.wantHeader[1] {
			t.Errorf("%s: %s = %q, want %q", s.name, s.wantHeader[0], w.Header().Get(s.wantHeader[0]), s.wantHeader[1])
		}
	}

	for _, secret := range []string{aliceKey, bobKey, HashAPIKey(aliceKey), HashAPIKey(bobKey), "s3p_"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain key material %q:\n%s", secret, logs.String())
		}
	}
	if n := strings.Count(logs.String(), `"msg":"url issued"`); n != 2 {
		t.Errorf("%d audit lines, want 2 (one per issued URL):\n%s", n, logs.String())
	}
}

func TestMiddlewareCallerRateLimit(t *testing.T) {
	a, aliceKey, _, bobKey := newKeysFor(t) // alice's key line: 5/s, burst 10
	c := newClock()
	lim := newTestLimiter(t, c, nil) // default: 1/s, burst 3
	onErr := apiErrorWriter(discardLogger())
	h := Middleware(a, lim, onErr)(RateLimit(lim, onErr)(issuingHandler(t, discardLogger(), c)))
	do := func(key string) *httptest.ResponseRecorder {
		r := fromClient("", "203.0.113.9")
		r.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := range 10 {
		if w := do(aliceKey); w.Code != 200 {
			t.Fatalf("alice request %d: %d", i+1, w.Code)
		}
	}
	w := do(aliceKey)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("alice request 11: %d, Retry-After %q; want 429, 1", w.Code, w.Header().Get("Retry-After"))
	}
	if w := do(bobKey); w.Code != 200 { // control: bob has his own bucket
		t.Fatalf("bob after alice was limited: %d", w.Code)
	}
	c.Advance(200 * time.Millisecond) // alice refills at 5/s
	if w := do(aliceKey); w.Code != 200 {
		t.Fatalf("alice after 200ms: %d, want 200", w.Code)
	}
}

// stubAuth returns a fixed result.
type stubAuth struct {
	c   Caller
	err error
}

func (s stubAuth) Authenticate(*http.Request) (Caller, error) { return s.c, s.err }

func TestMiddlewareDoesNotChargeUnavailable(t *testing.T) {
	c := newClock()
	lim := newTestLimiter(t, c, func(cfg *LimiterConfig) { cfg.PerIP = authconfig.Limit{Burst: 1} })
	onErr := apiErrorWriter(discardLogger())
	called := false
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })
	down := Middleware(stubAuth{err: &Error{Kind: KindUnavailable, Message: "down", RetryAfter: 7 * time.Second}}, lim, onErr)(next)
	for i := range 5 {
		w := httptest.NewRecorder()
		down.ServeHTTP(w, fromClient("", "203.0.113.9"))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "7" {
			t.Fatalf("request %d while the issuer is down: %d (Retry-After %q), want 503 (7)", i+1, w.Code, w.Header().Get("Retry-After"))
		}
	}
	forbidden := Middleware(stubAuth{err: &Error{Kind: KindForbidden, Message: "no"}}, lim, onErr)(next)
	codes := []int{}
	for range 2 {
		w := httptest.NewRecorder()
		forbidden.ServeHTTP(w, fromClient("", "203.0.113.9"))
		codes = append(codes, w.Code)
	}
	if codes[0] != http.StatusForbidden || codes[1] != http.StatusTooManyRequests {
		t.Fatalf("forbidden twice with a per-IP burst of 1: %v, want [403 429]", codes)
	}
	if called {
		t.Fatal("the next handler ran for a refused request")
	}
}

func TestMiddlewareModeNone(t *testing.T) {
	n, err := NewNone(false)
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	lim := newTestLimiter(t, c, func(cfg *LimiterConfig) { cfg.PerIP = authconfig.Limit{Burst: 2} })
	var logs bytes.Buffer
	onErr := apiErrorWriter(discardLogger())
	h := Middleware(n, lim, onErr)(RateLimit(lim, onErr)(issuingHandler(t, slog.New(slog.NewJSONHandler(&logs, nil)), c)))
	codes := []int{}
	for range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, fromClient("1.2.3.4", "203.0.113.9"))
		codes = append(codes, w.Code)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Fatalf("anonymous requests from one IP with a per-IP burst of 2: %v, want [200 200 429]", codes)
	}
	if !strings.Contains(logs.String(), `"caller":"","anonymous":true`) || !strings.Contains(logs.String(), `"key":"uploads/01hx/cat.png"`) {
		t.Errorf("audit line for the anonymous caller: %s", logs.String())
	}
}

func TestNilLimiterOnlyAuthenticates(t *testing.T) {
	onErr := apiErrorWriter(discardLogger())
	h := Middleware(stubAuth{err: (challenger{realm: "r"}).invalid("bad", nil)}, nil, onErr)(http.NotFoundHandler())
	for range 20 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, fromClient("", "203.0.113.9"))
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401 every time without a limiter", w.Code)
		}
	}
}

func TestMiddlewareWithOIDC(t *testing.T) {
	rk := rsaKeys()
	p := newIDP(t, jwkOf(t, "a", rk[0]))
	c := newClock()
	o := newTestOIDC(t, p, c, nil)
	lim := newTestLimiter(t, c, func(cfg *LimiterConfig) { cfg.Default = authconfig.Limit{PerSecond: 1, Burst: 50} })
	onErr := apiErrorWriter(discardLogger())
	h := Middleware(o, lim, onErr)(RateLimit(lim, onErr)(issuingHandler(t, discardLogger(), c)))
	do := func(tok string) *httptest.ResponseRecorder {
		r := fromClient("", "203.0.113.9")
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	expired := claimsFor(p, c, "alice")
	expired["exp"] = c.Now().Add(-time.Hour).Unix()

	if w := do(mint(t, jwt.SigningMethodRS256, rk[0], "a", claimsFor(p, c, "alice"))); w.Code != 200 || w.Body.String() != "alice" {
		t.Fatalf("valid token: %d %s, want 200 alice", w.Code, w.Body)
	}
	w := do(mint(t, jwt.SigningMethodRS256, rk[0], "a", expired))
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Bearer realm="s3presign", error="invalid_token", error_description="token expired"` {
		t.Fatalf("expired token: %d, WWW-Authenticate %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	p.setStatus(http.StatusServiceUnavailable)
	c.Advance(DefaultRefetchInterval)
	w = do(mint(t, jwt.SigningMethodRS256, rk[1], "rotated", claimsFor(p, c, "alice")))
	if w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("unknown kid while the JWKS is down: %d (Retry-After %q), want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "unavailable" {
		t.Fatalf("body %s, want error code unavailable", w.Body)
	}
	if w := do(mint(t, jwt.SigningMethodRS256, rk[0], "a", claimsFor(p, c, "alice"))); w.Code != 200 {
		t.Fatalf("cached key while the JWKS is down: %d, want 200", w.Code)
	}
}

// slotContext answers for a caller slot, as the API's per-request context
// does.
type slotContext struct {
	context.Context
	slot CallerSlot
}

func (c *slotContext) Value(key any) any {
	if _, ok := key.(CallerSlotKey); ok {
		return &c.slot
	}
	return c.Context.Value(key)
}

// TestMiddlewareFillsTheCallerSlot: with a caller slot in the request's
// context, Middleware stores the caller there (no new request), and an
// unfilled slot names no caller.
func TestMiddlewareFillsTheCallerSlot(t *testing.T) {
	a, aliceKey, _, _ := newKeysFor(t)
	ctx := &slotContext{Context: context.Background()}
	if _, ok := FromContext(ctx); ok {
		t.Fatal("an empty slot names a caller")
	}
	var got Caller
	var ok bool
	var sameRequest bool
	r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
	r.Header.Set("Authorization", "Bearer "+aliceKey)
	h := Middleware(a, nil, func(http.ResponseWriter, *http.Request, error) { t.Error("refused") })(
		http.HandlerFunc(func(_ http.ResponseWriter, inner *http.Request) {
			got, ok = FromContext(inner.Context())
			sameRequest = inner == r
		}))
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !ok || got.Name != "alice" || !sameRequest {
		t.Errorf("caller %+v, %v; same request %v", got, ok, sameRequest)
	}
	// Control: without a slot, the caller rides in a derived context.
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+aliceKey)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !ok || got.Name != "alice" || sameRequest {
		t.Errorf("without a slot: caller %+v, %v; same request %v", got, ok, sameRequest)
	}
}
