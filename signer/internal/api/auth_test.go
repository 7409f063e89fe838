package api

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/auth"
	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

// testKeys makes one API key per caller name and the authenticator that
// holds their hash lines.
func testKeys(t *testing.T, names ...string) (map[string]string, *auth.APIKeys) {
	t.Helper()
	keys := map[string]string{}
	var lines []string
	for _, n := range names {
		k, line, err := auth.NewAPIKey(n, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys[n] = k
		lines = append(lines, line)
	}
	a, err := auth.NewAPIKeys(strings.Join(lines, "\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	return keys, a
}

// manualClock is a clock tests move by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *manualClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newLimiter returns a limiter of rate per second and burst on clock.
func newLimiter(t *testing.T, rate float64, burst int, clock *manualClock) *auth.Limiter {
	t.Helper()
	lim, err := auth.NewLimiter(auth.LimiterConfig{Default: authconfig.Limit{PerSecond: rate, Burst: burst}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return lim
}

const uploadBody = `{"fileName":"cat.png","contentType":"image/png","size":10}`

func bearer(key string) []string { return []string{"Authorization", "Bearer " + key} }

func TestAPIKeyAuthentication(t *testing.T) {
	keys, a := testKeys(t, "alice", "bob")
	s := newTestServer(t, func(d *Deps) { d.Auth = a })
	post := func(hdr ...string) *httptest.ResponseRecorder {
		return s.do("POST", "/v1/uploads", "application/json", uploadBody, hdr...)
	}

	// Control: the right key gets a URL under the caller's own prefix.
	w := post(bearer(keys["alice"])...)
	if w.Code != 201 {
		t.Fatalf("right key: status %d (body %s)", w.Code, w.Body)
	}
	var got uploadResponse
	decode(t, w, &got)
	if want := "uploads/alice/" + zeroID + "/cat.png"; got.Key != want {
		t.Errorf("key = %q, want %q", got.Key, want)
	}

	refusals := []struct {
		name string
		hdr  []string
		desc string // error_description in the challenge ("" = none)
	}{
		{"missing header", nil, ""},
		{"wrong key", bearer("s3p_" + strings.Repeat("A", 43)), "unknown API key"},
		{"key of another scheme", []string{"Authorization", "Basic " + keys["alice"]}, ""},
		{"key in X-Api-Key", []string{"X-Api-Key", keys["alice"]}, ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			w := post(tt.hdr...)
			wantError(t, w, 401, apierr.Unauthorized)
			ch := w.Header().Get("WWW-Authenticate")
			if !strings.HasPrefix(ch, `Bearer realm="s3presign"`) {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", ch)
			}
			if tt.desc != "" && !strings.Contains(ch, tt.desc) {
				t.Errorf("WWW-Authenticate = %q, want it to say %q", ch, tt.desc)
			}
		})
	}

	// Health routes answer without credentials.
	for _, target := range []string{"/healthz", "/readyz"} {
		if w := s.do("GET", target, "", ""); w.Code != 200 {
			t.Errorf("%s without credentials: status %d", target, w.Code)
		}
	}

	logs := s.logs.String()
	for name, key := range keys {
		if strings.Contains(logs, key) || strings.Contains(logs, auth.HashAPIKey(key)) {
			t.Errorf("the log holds %s's key or its hash:\n%s", name, logs)
		}
	}
	for _, leak := range []string{"s3p_", "Bearer s", "X-Amz-Signature", "http://"} {
		if strings.Contains(logs, leak) {
			t.Errorf("the log holds %q:\n%s", leak, logs)
		}
	}
	if !strings.Contains(s.logs.String(), `"msg":"authentication refused"`) {
		t.Errorf("refusals are not logged with their reason:\n%s", s.logs)
	}
}

// A route that is not behind the middleware must not act as the anonymous
// caller once authentication is configured.
func TestUnauthenticatedRouteIssuesNothing(t *testing.T) {
	keys, a := testKeys(t, "alice")
	var d Deps
	s := newTestServer(t, func(x *Deps) { x.Auth = a; d = *x })
	h := observe(d.RequestLog, "test-bucket", 0)(handleUpload(&d))
	r := httptest.NewRequest("POST", "/v1/uploads", strings.NewReader(uploadBody))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+keys["alice"])
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	wantError(t, w, 500, apierr.Internal)

	// Control: the same route behind the middleware issues a URL.
	if w := s.do("POST", "/v1/uploads", "application/json", uploadBody, bearer(keys["alice"])...); w.Code != 201 {
		t.Fatalf("control: status %d (body %s)", w.Code, w.Body)
	}
}

func TestDownloadIsolationAndSharedPrefixes(t *testing.T) {
	keys, a := testKeys(t, "alice", "bob", "carol")
	s := newTestServer(t, func(d *Deps) {
		d.Auth = a
		d.SharedPrefixes = map[string][]string{"carol": {"uploads/alice/"}}
	})
	aliceKey := "uploads/alice/" + zeroID + "/cat.png"
	bobKey := "uploads/bob/" + zeroID + "/cat.png"
	tests := []struct {
		name, caller, key string
		status            int
	}{
		{"control: alice reads her own key", "alice", aliceKey, 200},
		{"bob cannot read alice's key", "bob", aliceKey, 403},
		{"control: bob reads his own key", "bob", bobKey, 200},
		{"alice cannot read bob's key", "alice", bobKey, 403},
		{"control: carol reads a prefix shared with her", "carol", aliceKey, 200},
		{"carol cannot read an unshared prefix", "carol", bobKey, 403},
		{"nobody reads outside the key prefix", "carol", "private/alice/x.png", 403},
		{"a shared prefix is no way around the key grammar", "carol", "uploads/alice/../bob/x.png", 400},
		{"a caller prefix with a suffix is another caller", "alice", "uploads/alice2/" + zeroID + "/cat.png", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := s.do("POST", "/v1/downloads", "application/json", `{"key":"`+tt.key+`"}`, bearer(keys[tt.caller])...)
			switch tt.status {
			case 200:
				if w.Code != 200 {
					t.Fatalf("status %d, want 200 (body %s)", w.Code, w.Body)
				}
			case 403:
				wantError(t, w, 403, apierr.Forbidden)
			default:
				wantError(t, w, tt.status, apierr.Invalid)
			}
		})
	}

	// The compat routes build keys under the caller's prefix too.
	w := s.do("GET", "/signed-url-access?fileName=cat&extension=png", "", "", bearer(keys["bob"])...)
	if w.Code != 200 {
		t.Fatalf("compat access: status %d (body %s)", w.Code, w.Body)
	}
	var c compatAccessResponse
	decode(t, w, &c)
	if p := urlPath(t, c.URL); p != "/test-bucket/uploads/bob/cat.png" {
		t.Errorf("compat access path = %q, want bob's prefix", p)
	}
}

func TestRateLimitPerCaller(t *testing.T) {
	keys, a := testKeys(t, "alice", "bob")
	clock := &manualClock{now: fixedNow}
	s := newTestServer(t, func(d *Deps) {
		d.Auth = a
		d.Limiter = newLimiter(t, 1, 2, clock)
	})
	post := func(caller string, hdr ...string) *httptest.ResponseRecorder {
		return s.do("POST", "/v1/uploads", "application/json", uploadBody, append(bearer(keys[caller]), hdr...)...)
	}
	for i := range 2 {
		if w := post("alice"); w.Code != 201 {
			t.Fatalf("request %d within the burst: status %d", i+1, w.Code)
		}
	}
	w := post("alice", "X-Forwarded-For", "203.0.113.9")
	wantError(t, w, 429, apierr.RateLimited)
	if ra := w.Header().Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After = %q, want 1", ra)
	}
	// Control: another caller has its own bucket.
	if w := post("bob"); w.Code != 201 {
		t.Errorf("bob: status %d, want 201", w.Code)
	}
	// Recovery: after a second one token is back, and only one.
	clock.Add(time.Second)
	if w := post("alice"); w.Code != 201 {
		t.Errorf("after the window: status %d, want 201", w.Code)
	}
	wantError(t, post("alice"), 429, apierr.RateLimited)
}

// Failed authentications are charged to the client IP, so guessing keys is
// throttled too; a refusal beyond the IP's burst is 429, not 401.
func TestFailedAuthenticationIsRateLimitedPerIP(t *testing.T) {
	keys, a := testKeys(t, "alice")
	clock := &manualClock{now: fixedNow}
	s := newTestServer(t, func(d *Deps) {
		d.Auth = a
		d.Limiter = newLimiter(t, 1, 2, clock)
	})
	for range 2 {
		wantError(t, s.do("POST", "/v1/uploads", "application/json", uploadBody, bearer("s3p_guess")...), 401, apierr.Unauthorized)
	}
	w := s.do("POST", "/v1/uploads", "application/json", uploadBody, bearer("s3p_guess")...)
	wantError(t, w, 429, apierr.RateLimited)
	if w.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// Control: the right key still works (its own bucket, not the IP's).
	if w := s.do("POST", "/v1/uploads", "application/json", uploadBody, bearer(keys["alice"])...); w.Code != 201 {
		t.Errorf("right key after the guesses: status %d", w.Code)
	}
}

func TestAuditLog(t *testing.T) {
	keys, a := testKeys(t, "alice")
	s := newTestServer(t, func(d *Deps) {
		d.Auth = a
		d.TrustedProxyHops = 1
	})
	hdr := bearer(keys["alice"])
	own := "uploads/alice/" + zeroID + "/cat.png"
	reqs := []struct {
		method, target, body string
	}{
		{"POST", "/v1/uploads", uploadBody},
		{"POST", "/v1/uploads", `{"fileName":"cat.png","contentType":"image/png","size":5}`},
		{"POST", "/v1/downloads", `{"key":"` + own + `"}`},
		{"GET", "/signed-url-upload?fileName=cat&extension=png&mediaType=image", ""},
		{"GET", "/signed-url-access?fileName=cat&extension=png", ""},
		// Refusals write no audit line (their request line says "request").
		{"POST", "/v1/downloads", `{"key":"uploads/bob/x.png"}`},
		{"POST", "/v1/uploads", `{"fileName":"cat.exe","contentType":"image/png","size":5}`},
	}
	var ids []string
	for _, q := range reqs {
		ct := ""
		if q.body != "" {
			ct = "application/json"
		}
		w := s.do(q.method, q.target, ct, q.body, append([]string{"X-Forwarded-For", "203.0.113.7"}, hdr...)...)
		ids = append(ids, w.Header().Get("X-Request-Id"))
	}
	type line struct {
		Msg       string `json:"msg"`
		Audit     bool   `json:"audit"`
		Caller    string `json:"caller"`
		Op        string `json:"op"`
		Key       string `json:"key"`
		SizeLimit int64  `json:"size_limit"`
		ExpiresAt string `json:"expires_at"`
		RequestID string `json:"request_id"`
		Bucket    string `json:"bucket"`
		Outcome   string `json:"outcome"`
		ClientIP  string `json:"client_ip"`
	}
	var got []line
	var refusals int
	sc := bufio.NewScanner(strings.NewReader(s.logs.String()))
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		if l.Msg != auth.AuditMessage {
			if l.Msg == MsgRequest && l.Outcome == OutcomeRefused && !l.Audit {
				refusals++
			}
			continue
		}
		got = append(got, l)
	}
	if refusals != 2 {
		t.Errorf("%d refusal lines, want 2:\n%s", refusals, s.logs)
	}
	exp := fixedNow.Add(5 * time.Minute).Format(time.RFC3339)
	want := []line{
		{auth.AuditMessage, true, "alice", OpUpload, own, 10, exp, ids[0], "test-bucket", OutcomeIssued, "203.0.113.7"},
		{auth.AuditMessage, true, "alice", OpUpload, own, 5, exp, ids[1], "test-bucket", OutcomeIssued, "203.0.113.7"},
		{auth.AuditMessage, true, "alice", OpDownload, own, 0, exp, ids[2], "test-bucket", OutcomeIssued, "203.0.113.7"},
		{auth.AuditMessage, true, "alice", OpCompatUpload, "uploads/alice/cat.png", 5 << 30, exp, ids[3], "test-bucket", OutcomeIssued, "203.0.113.7"},
		{auth.AuditMessage, true, "alice", OpCompatDownload, "uploads/alice/cat.png", 0, exp, ids[4], "test-bucket", OutcomeIssued, "203.0.113.7"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d audit lines, want %d (one per issued URL):\n%s", len(got), len(want), s.logs)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %+v\nwant %+v", i, got[i], want[i])
		}
	}
	for _, leak := range []string{"X-Amz", "Signature", "http://", keys["alice"], "Bearer s"} {
		if strings.Contains(s.logs.String(), leak) {
			t.Errorf("log holds %q:\n%s", leak, s.logs)
		}
	}
}

func TestCORSAllowsAuthorization(t *testing.T) {
	keys, a := testKeys(t, "alice")
	s := newTestServer(t, func(d *Deps) {
		d.Auth = a
		d.CORSOrigins = []string{"https://app.example.com"}
	})
	pre := s.do("OPTIONS", "/v1/uploads", "", "",
		"Origin", "https://app.example.com", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "authorization,content-type")
	if pre.Code != 204 || !strings.Contains(pre.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", pre.Code, pre.Header())
	}
	// A refusal reaches the page's script with its challenge readable.
	w := s.do("POST", "/v1/uploads", "application/json", uploadBody, "Origin", "https://app.example.com")
	wantError(t, w, 401, apierr.Unauthorized)
	if w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "WWW-Authenticate") ||
		!strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "Retry-After") {
		t.Errorf("401 CORS headers: %v", w.Header())
	}
	// Control: with the key, the same request gets a URL.
	ok := s.do("POST", "/v1/uploads", "application/json", uploadBody,
		"Origin", "https://app.example.com", "Authorization", "Bearer "+keys["alice"])
	if ok.Code != 201 || ok.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("with the key: %d %v", ok.Code, ok.Header())
	}
}
