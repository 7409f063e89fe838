package main

// End-to-end tests of authentication, per-caller isolation, rate limits and
// the audit log: the real signer over HTTP (started through runWith), API
// keys made by its own `apikey new` subcommand, an OIDC issuer served by
// httptest, and versitygw where URLs are used. Each rejection has a passing
// control beside it.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/s3presign/s3presign/signer/internal/auth"
)

// testClock is a clock the test moves by hand (no sleeps).
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now().Truncate(time.Second)} }

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// newAPIKey runs `signer apikey new NAME` and returns the key and hash line.
func newAPIKey(t *testing.T, name string) (key, line string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"signer", "apikey", "new", name}, getenvOf(nil), &out, &errOut); err != nil {
		t.Fatalf("apikey new %s: %v\n%s", name, err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("apikey new printed %q, want the key and the hash line", out.String())
	}
	return lines[0], lines[1]
}

// apiKeyEnv sets mode apikey with one new key per caller on env.
func apiKeyEnv(t *testing.T, env map[string]string, callers ...string) map[string]string {
	t.Helper()
	keys := map[string]string{}
	var lines []string
	for _, c := range callers {
		k, l := newAPIKey(t, c)
		keys[c] = k
		lines = append(lines, l)
	}
	env["S3PRESIGN_AUTH_MODE"] = "apikey"
	env["S3PRESIGN_API_KEYS"] = "# test keys\n" + strings.Join(lines, "\n")
	return keys
}

// setAll sets every pair of kv on env.
func setAll(env, kv map[string]string) {
	for k, v := range kv {
		env[k] = v
	}
}

func withBearer(token string, hdr ...string) []string {
	return append([]string{"Authorization", "Bearer " + token}, hdr...)
}

const pngUpload = `{"fileName":"cat.png","contentType":"image/png","size":4}`

// wantStatus checks a signer answer's status and, for errors, its code.
func wantStatus(t *testing.T, what string, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d (body %s)", what, resp.StatusCode, status, body)
	}
	if code != "" && errorCode(body) != code {
		t.Fatalf("%s: error code %q, want %q (body %s)", what, errorCode(body), code, body)
	}
	if code != "" && strings.Contains(string(body), "X-Amz-") {
		t.Fatalf("%s: a refusal carries a URL: %s", what, body)
	}
}

func TestAPIKeySubcommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"signer", "apikey", "new", "alice"}, getenvOf(nil), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], auth.APIKeyPrefix) {
		t.Fatalf("stdout %q, want a key then a hash line", out.String())
	}
	if want := "alice:" + auth.HashAPIKey(lines[0]); lines[1] != want {
		t.Errorf("hash line %q, want %q", lines[1], want)
	}
	if !strings.Contains(errOut.String(), "shown once") || strings.Contains(errOut.String(), lines[0]) {
		t.Errorf("stderr should explain and not repeat the key: %q", errOut.String())
	}
	// A second key for the same name is another key.
	if k2, _ := newAPIKey(t, "alice"); k2 == lines[0] {
		t.Error("two runs printed the same key")
	}

	for _, args := range [][]string{{"apikey"}, {"apikey", "new"}, {"apikey", "new", "../x"}, {"apikey", "old", "alice"}, {"apikey", "new", "a", "b"}} {
		out.Reset()
		if err := run(context.Background(), append([]string{"signer"}, args...), getenvOf(nil), &out, io.Discard); err == nil {
			t.Errorf("%q: got nil error", args)
		}
		if out.Len() != 0 {
			t.Errorf("%q printed %q on failure", args, out.String())
		}
	}
}

func TestAPIKeyModeOverHTTP(t *testing.T) {
	env := baseEnv()
	keys := apiKeyEnv(t, env, "alice")
	env["S3PRESIGN_LOG_LEVEL"] = "debug"
	p := startSigner(t, env, runDeps{})

	resp, body := send(t, "POST", p.URL+"/v1/uploads", pngUpload, withBearer(keys["alice"])...)
	wantStatus(t, "right key", resp, body, 201, "")
	var u uploadResp
	if err := json.Unmarshal(body, &u); err != nil || !strings.HasPrefix(u.Key, "uploads/alice/") || u.URL == "" {
		t.Fatalf("right key: %s (%v), want a URL for a key under uploads/alice/", body, err)
	}

	for _, tt := range []struct {
		name string
		hdr  []string
	}{
		{"wrong key", withBearer(auth.APIKeyPrefix + strings.Repeat("x", 43))},
		{"missing header", nil},
		{"key without the Bearer scheme", []string{"Authorization", keys["alice"]}},
	} {
		resp, body := send(t, "POST", p.URL+"/v1/uploads", pngUpload, tt.hdr...)
		wantStatus(t, tt.name, resp, body, 401, "unauthorized")
		if ch := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer realm=") {
			t.Errorf("%s: WWW-Authenticate = %q, want a Bearer challenge", tt.name, ch)
		}
	}
	// Health routes need no credentials.
	if resp, body := send(t, "GET", p.URL+"/readyz", ""); resp.StatusCode != 200 {
		t.Errorf("/readyz without credentials: %d %s", resp.StatusCode, body)
	}

	logs := p.logs.String()
	if strings.Contains(logs, keys["alice"]) || strings.Contains(logs, auth.HashAPIKey(keys["alice"])) ||
		strings.Contains(logs, "s3p_") || strings.Contains(logs, "X-Amz-Signature") {
		t.Errorf("the log holds key material or a URL:\n%s", logs)
	}
	if !strings.Contains(logs, `"msg":"url issued"`) || !strings.Contains(logs, `"caller":"alice"`) ||
		!strings.Contains(logs, `"key":"`+u.Key+`"`) {
		t.Errorf("no audit line for alice's upload:\n%s", logs)
	}
	if !strings.Contains(logs, `"auth_mode":"apikey"`) {
		t.Errorf("the start line does not name the auth mode:\n%s", logs)
	}
}

// idp is an OIDC issuer: a JWKS served by httptest, and its signing key.
type idp struct {
	srv  *httptest.Server
	key  *ecdsa.PrivateKey
	kid  string
	mu   sync.Mutex
	jwks []byte
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{key: key, kid: "key-1"}
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	raw := pub.Bytes() // 0x04 || X || Y
	b64 := base64.RawURLEncoding.EncodeToString
	p.jwks, err = json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "kid": p.kid, "use": "sig", "alg": "ES256",
		"x": b64(raw[1:33]), "y": b64(raw[33:]),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(p.jwks)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// token signs claims for sub, valid from now-1m to exp, with kid.
func (p *idp) token(t *testing.T, kid, sub string, now, exp time.Time) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": p.srv.URL, "aud": "s3presign", "sub": sub,
		"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": exp.Unix(),
	})
	tok.Header["kid"] = kid
	s, err := tok.SignedString(p.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOIDCModeOverHTTP(t *testing.T) {
	issuer := newIDP(t)
	clock := newTestClock()
	env := baseEnv()
	setAll(env, map[string]string{
		"S3PRESIGN_AUTH_MODE":     "oidc",
		"S3PRESIGN_OIDC_ISSUER":   issuer.srv.URL,
		"S3PRESIGN_OIDC_JWKS_URL": issuer.srv.URL + "/keys",
		"S3PRESIGN_OIDC_AUDIENCE": "s3presign",
	})
	p := startSigner(t, env, runDeps{clock: clock.Now})
	if strings.Contains(p.logs.String(), "could not be fetched at start") {
		t.Fatalf("prefetch failed:\n%s", p.logs)
	}
	post := func(token string) (*http.Response, []byte) {
		return send(t, "POST", p.URL+"/v1/uploads", pngUpload, withBearer(token)...)
	}

	now := clock.Now()
	valid := issuer.token(t, issuer.kid, "user-42", now, now.Add(10*time.Minute))
	resp, body := post(valid)
	wantStatus(t, "valid token", resp, body, 201, "")
	var u uploadResp
	if err := json.Unmarshal(body, &u); err != nil || !strings.HasPrefix(u.Key, "uploads/user-42/") {
		t.Fatalf("valid token: %s, want a key under uploads/user-42/", body)
	}

	expired := issuer.token(t, issuer.kid, "user-42", now.Add(-time.Hour), now.Add(-10*time.Minute))
	resp, body = post(expired)
	wantStatus(t, "expired token", resp, body, 401, "unauthorized")
	if ch := resp.Header.Get("WWW-Authenticate"); !strings.Contains(ch, `error="invalid_token"`) {
		t.Errorf("expired token: WWW-Authenticate = %q, want error=\"invalid_token\"", ch)
	}

	// The issuer goes down. A token signed with a key the signer has never
	// seen cannot be checked: 503 with Retry-After, never 200.
	issuer.srv.Close()
	clock.Add(15 * time.Second) // past the refetch interval: a fetch is tried, and fails
	now = clock.Now()
	unknown := issuer.token(t, "key-2", "user-42", now, now.Add(10*time.Minute))
	resp, body = post(unknown)
	wantStatus(t, "unknown kid, issuer down", resp, body, 503, "unavailable")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("unknown kid, issuer down: no Retry-After")
	}
	// Control: the cached key keeps working while the issuer is down.
	resp, body = post(issuer.token(t, issuer.kid, "user-42", now, now.Add(10*time.Minute)))
	wantStatus(t, "known kid, issuer down", resp, body, 201, "")

	if strings.Contains(p.logs.String(), valid) || strings.Contains(p.logs.String(), expired) {
		t.Errorf("the log holds a token:\n%s", p.logs)
	}
}

// Caller A cannot get a download URL for caller B's object; B can, and the
// URL works against versitygw. A prefix shared with C lets C read it too.
func TestCrossCallerIsolationAgainstS3(t *testing.T) {
	e := startS3(t)
	env := e.env(map[string]string{"S3PRESIGN_SHARED_PREFIXES": "carol=uploads/bob/"})
	keys := apiKeyEnv(t, env, "alice", "bob", "carol")
	p := startSigner(t, env, runDeps{})
	data := []byte("bob's")

	// B uploads through the signer.
	resp, body := send(t, "POST", p.URL+"/v1/uploads", `{"fileName":"plan.png","contentType":"image/png","size":5}`, withBearer(keys["bob"])...)
	wantStatus(t, "bob's upload", resp, body, 201, "")
	var u uploadResp
	if err := json.Unmarshal(body, &u); err != nil {
		t.Fatal(err)
	}
	status, b := put(t, u, data)
	wantS3(t, "bob's PUT", status, 200, b)

	downloadAs := func(caller string) (*http.Response, []byte) {
		return send(t, "POST", p.URL+"/v1/downloads", `{"key":"`+u.Key+`"}`, withBearer(keys[caller])...)
	}
	// A is refused, with no URL.
	resp, body = downloadAs("alice")
	wantStatus(t, "alice asks for bob's key", resp, body, 403, "forbidden")

	// Control: B gets a URL that reads the object.
	for _, caller := range []string{"bob", "carol"} {
		resp, body = downloadAs(caller)
		wantStatus(t, caller+" asks for bob's key", resp, body, 200, "")
		var d downloadResp
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatal(err)
		}
		status, got, _ := s3Do(t, "GET", d.URL, nil, nil)
		wantS3(t, caller+"'s GET", status, 200, got)
		if !bytes.Equal(got, data) {
			t.Fatalf("%s read %q, want %q", caller, got, data)
		}
	}

	// The compat routes: the same file name is another key per caller, so A
	// cannot read B's compat upload by asking for its name.
	compat := func(caller, path string, q url.Values) string {
		t.Helper()
		resp, body := send(t, "GET", p.URL+path+"?"+q.Encode(), "", withBearer(keys[caller])...)
		wantStatus(t, caller+" "+path, resp, body, 200, "")
		var m struct{ URL string }
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		return m.URL
	}
	up := compat("bob", "/signed-url-upload", url.Values{"fileName": {"report"}, "extension": {"png"}, "mediaType": {"image"}})
	status, b, _ = s3Do(t, "PUT", up, map[string]string{"Content-Type": "image/png"}, data)
	wantS3(t, "bob's compat PUT", status, 200, b)
	access := url.Values{"fileName": {"report"}, "extension": {"png"}}
	status, got, _ := s3Do(t, "GET", compat("alice", "/signed-url-access", access), nil, nil)
	wantS3(t, "alice's compat GET of bob's name", status, 404, got)
	status, got, _ = s3Do(t, "GET", compat("bob", "/signed-url-access", access), nil, nil)
	wantS3(t, "bob's compat GET (control)", status, 200, got)

	keysInBucket := e.keys(t)
	for _, k := range keysInBucket {
		if !strings.HasPrefix(k, "uploads/bob/") {
			t.Errorf("object %q is outside bob's prefix", k)
		}
	}
}

func TestRateLimitOverHTTP(t *testing.T) {
	t.Run("per caller, whatever X-Forwarded-For says", func(t *testing.T) {
		clock := newTestClock()
		env := baseEnv()
		keys := apiKeyEnv(t, env, "alice", "bob")
		setAll(env, map[string]string{"S3PRESIGN_RATE_LIMIT": "1", "S3PRESIGN_RATE_BURST": "2", "S3PRESIGN_TRUSTED_PROXY_HOPS": "1"})
		p := startSigner(t, env, runDeps{clock: clock.Now})
		post := func(caller string, i int) (*http.Response, []byte) {
			xff := fmt.Sprintf("198.51.100.%d, 10.0.0.%d", i, i) // a fresh address per request
			return send(t, "POST", p.URL+"/v1/uploads", pngUpload, withBearer(keys[caller], "X-Forwarded-For", xff)...)
		}
		for i := range 2 {
			resp, body := post("alice", i)
			wantStatus(t, fmt.Sprintf("alice %d within the burst", i+1), resp, body, 201, "")
		}
		resp, body := post("alice", 3)
		wantStatus(t, "alice past the burst", resp, body, 429, "rate_limited")
		if ra := resp.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("Retry-After = %q, want 1", ra)
		}
		resp, body = post("bob", 4)
		wantStatus(t, "bob (own bucket, control)", resp, body, 201, "")
		clock.Add(time.Second)
		resp, body = post("alice", 5)
		wantStatus(t, "alice after the window", resp, body, 201, "")
		resp, body = post("alice", 6)
		wantStatus(t, "alice again at once", resp, body, 429, "rate_limited")
	})

	t.Run("per client IP behind one proxy: a spoofed X-Forwarded-For does not escape", func(t *testing.T) {
		clock := newTestClock()
		env := baseEnv() // mode none: every request is limited per client IP
		setAll(env, map[string]string{"S3PRESIGN_RATE_LIMIT": "1", "S3PRESIGN_RATE_BURST": "2", "S3PRESIGN_TRUSTED_PROXY_HOPS": "1"})
		p := startSigner(t, env, runDeps{clock: clock.Now})
		// The proxy appends the address it saw (10.0.0.1); the client
		// prepends whatever it likes.
		post := func(spoofed, seen string) (*http.Response, []byte) {
			return send(t, "POST", p.URL+"/v1/uploads", pngUpload, "X-Forwarded-For", spoofed+", "+seen)
		}
		for i := range 2 {
			resp, body := post(fmt.Sprintf("203.0.113.%d", i), "10.0.0.1")
			wantStatus(t, "within the burst", resp, body, 201, "")
		}
		for i := 2; i < 5; i++ {
			resp, body := post(fmt.Sprintf("203.0.113.%d", i), "10.0.0.1")
			wantStatus(t, "spoofed first hop past the burst", resp, body, 429, "rate_limited")
		}
		resp, body := post("203.0.113.1", "10.0.0.2")
		wantStatus(t, "another client the proxy saw (control)", resp, body, 201, "")
	})

	t.Run("no trusted proxy: X-Forwarded-For is ignored", func(t *testing.T) {
		clock := newTestClock()
		env := baseEnv()
		setAll(env, map[string]string{"S3PRESIGN_RATE_LIMIT": "1", "S3PRESIGN_RATE_BURST": "1"})
		p := startSigner(t, env, runDeps{clock: clock.Now})
		resp, body := send(t, "POST", p.URL+"/v1/uploads", pngUpload, "X-Forwarded-For", "10.0.0.1")
		wantStatus(t, "first", resp, body, 201, "")
		resp, body = send(t, "POST", p.URL+"/v1/uploads", pngUpload, "X-Forwarded-For", "10.0.0.2")
		wantStatus(t, "second, another forwarded address", resp, body, 429, "rate_limited")
		clock.Add(time.Second)
		resp, body = send(t, "POST", p.URL+"/v1/uploads", pngUpload)
		wantStatus(t, "after the window (control)", resp, body, 201, "")
	})
}

func TestAuthModeRequiredAndNoneRefusedInProd(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"production with none", map[string]string{"S3PRESIGN_ENVIRONMENT": "eu-prod", "S3PRESIGN_PRODUCTION": "true", "S3PRESIGN_AUTH_MODE": "none"},
			[]string{`S3PRESIGN_AUTH_MODE: authentication mode "none" is refused in production`, "use apikey or oidc", `S3PRESIGN_ENVIRONMENT="eu-prod"`}},
		{"mode unset", map[string]string{"S3PRESIGN_AUTH_MODE": ""}, []string{"S3PRESIGN_AUTH_MODE: is required"}},
		{"apikey without keys", map[string]string{"S3PRESIGN_AUTH_MODE": "apikey"}, []string{"S3PRESIGN_API_KEYS: is required in mode apikey"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := baseEnv()
			setAll(env, tt.set)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var logs bytes.Buffer
			err := run(ctx, []string{"signer"}, getenvOf(env), io.Discard, &logs)
			if err == nil {
				t.Fatal("run returned nil: the signer started")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(logs.String(), `"msg":"listening"`) {
				t.Error("the signer listened before refusing")
			}
		})
	}
	// Control: production with apikey starts.
	env := baseEnv()
	env["S3PRESIGN_ENVIRONMENT"] = "prod"
	env["S3PRESIGN_PRODUCTION"] = "true"
	apiKeyEnv(t, env, "alice")
	p := startSigner(t, env, runDeps{})
	if resp, body := send(t, "GET", p.URL+"/healthz", ""); resp.StatusCode != 200 {
		t.Fatalf("prod with apikey: /healthz %d %s", resp.StatusCode, body)
	}
}

func TestCORSPreflightAllowsAuthorization(t *testing.T) {
	env := baseEnv()
	keys := apiKeyEnv(t, env, "alice")
	env["S3PRESIGN_CORS_ORIGINS"] = "http://127.0.0.1:5173"
	p := startSigner(t, env, runDeps{})
	preflight := func(origin string) *http.Response {
		resp, _ := send(t, "OPTIONS", p.URL+"/v1/uploads", "", "Origin", origin,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
		return resp
	}
	resp := preflight("http://127.0.0.1:5173")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:5173" ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Fatalf("preflight with Authorization from the page's origin: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight("http://127.0.0.1:6666"); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
	}
	// The actual request with the key, from the page's origin.
	resp, body := send(t, "POST", p.URL+"/v1/uploads", pngUpload, withBearer(keys["alice"], "Origin", "http://127.0.0.1:5173")...)
	wantStatus(t, "upload from the page", resp, body, 201, "")
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:5173" {
		t.Errorf("no Access-Control-Allow-Origin on the answer: %v", resp.Header)
	}
}
