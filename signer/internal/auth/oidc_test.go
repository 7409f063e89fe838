package auth

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// tamperPayload replaces the token's payload with one whose claims are changed
// by edit, keeping the original header and signature.
func tamperPayload(t *testing.T, token string, edit func(jwt.MapClaims)) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.MapClaims
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	edit(c)
	b, _ := json.Marshal(c)
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

func TestOIDCVerifiesTokens(t *testing.T) {
	rk, ek := rsaKeys(), ecKeys()
	p := newIDP(t, jwkOf(t, "rsa1", rk[0]), jwkOf(t, "ec1", ek[0]), jwkOf(t, "ec384", ek[2]))
	c := newClock()
	o := newTestOIDC(t, p, c, nil)

	pubDER, err := x509.MarshalPKIXPublicKey(&rk[0].PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	valid := func() jwt.MapClaims { return claimsFor(p, c, "alice") }
	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		m := valid()
		edit(m)
		return m
	}
	now := c.Now()

	tests := []struct {
		name     string
		token    string
		wantCode string // "" = accepted
		wantMsg  string // substring of the client message, for refusals
		wantName string
	}{
		{name: "valid RS256 (control)", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", valid()), wantName: "alice"},
		{name: "valid ES256 (control)", token: mint(t, jwt.SigningMethodES256, ek[0], "ec1", valid()), wantName: "alice"},
		{name: "valid without kid (control)", token: mint(t, jwt.SigningMethodRS256, rk[0], "", valid()), wantName: "alice"},
		{name: "aud list holding ours (control)", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["aud"] = []string{"other", testAudience} })), wantName: "alice"},
		{name: "expired 20s ago, inside the 30s leeway (control)", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["exp"] = now.Add(-20 * time.Second).Unix() })), wantName: "alice"},
		{name: "expired", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["exp"] = now.Add(-time.Minute).Unix() })), wantCode: apierr.Unauthorized, wantMsg: "expired"},
		{name: "no exp", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { delete(m, "exp") })), wantCode: apierr.Unauthorized},
		{name: "nbf 20s ahead, inside the leeway (control)", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["nbf"] = now.Add(20 * time.Second).Unix() })), wantName: "alice"},
		{name: "nbf in the future", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["nbf"] = now.Add(5 * time.Minute).Unix() })), wantCode: apierr.Unauthorized, wantMsg: "not valid yet"},
		{name: "wrong iss", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["iss"] = "https://evil.example" })), wantCode: apierr.Unauthorized},
		{name: "iss with trailing slash", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["iss"] = p.srv.URL + "/" })), wantCode: apierr.Unauthorized},
		{name: "wrong aud", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["aud"] = "another-app" })), wantCode: apierr.Unauthorized},
		{name: "no aud", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { delete(m, "aud") })), wantCode: apierr.Unauthorized},
		{name: "alg none", token: mint(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "rsa1", valid()), wantCode: apierr.Unauthorized},
		{name: "HS256 keyed with the RSA public key PEM", token: mint(t, jwt.SigningMethodHS256, pubPEM, "rsa1", valid()), wantCode: apierr.Unauthorized},
		{name: "HS256 keyed with the RSA public key DER", token: mint(t, jwt.SigningMethodHS256, pubDER, "rsa1", valid()), wantCode: apierr.Unauthorized},
		{name: "RS384 not in the allowed list", token: mint(t, jwt.SigningMethodRS384, rk[0], "rsa1", valid()), wantCode: apierr.Unauthorized},
		{name: "tampered payload", token: tamperPayload(t, mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", valid()), func(m jwt.MapClaims) { m["sub"] = "bob" }), wantCode: apierr.Unauthorized},
		{name: "tampered expiry", token: tamperPayload(t, mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["exp"] = now.Add(-time.Hour).Unix() })), func(m jwt.MapClaims) { m["exp"] = now.Add(time.Hour).Unix() }), wantCode: apierr.Unauthorized},
		{name: "signed by a stranger's key under our kid", token: mint(t, jwt.SigningMethodRS256, rk[1], "rsa1", valid()), wantCode: apierr.Unauthorized},
		{name: "ES256 naming the RSA key's kid", token: mint(t, jwt.SigningMethodES256, ek[0], "rsa1", valid()), wantCode: apierr.Unauthorized},
		{name: "ES256 naming a P-384 key's kid", token: mint(t, jwt.SigningMethodES256, ek[0], "ec384", valid()), wantCode: apierr.Unauthorized},
		{name: "kid is a number", token: func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, valid())
			tok.Header["kid"] = 7
			s, _ := tok.SignedString(rk[0])
			return s
		}(), wantCode: apierr.Unauthorized},
		{name: "crit header", token: func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, valid())
			tok.Header["kid"] = "rsa1"
			tok.Header["crit"] = []string{"exp"}
			s, _ := tok.SignedString(rk[0])
			return s
		}(), wantCode: apierr.Unauthorized},
		{name: "garbage", token: "not.a.jwt", wantCode: apierr.Unauthorized},
		{name: "subject unsafe as a key prefix", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["sub"] = "../bob" })), wantCode: apierr.Forbidden},
		{name: "subject with a bar (auth0 style)", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["sub"] = "auth0|123" })), wantCode: apierr.Forbidden},
		{name: "no subject", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { delete(m, "sub") })), wantCode: apierr.Forbidden},
		{name: "numeric subject", token: mint(t, jwt.SigningMethodRS256, rk[0], "rsa1", with(func(m jwt.MapClaims) { m["sub"] = 42 })), wantCode: apierr.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := o.Authenticate(bearerRequest(tt.token))
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Authenticate: %v, want caller %q", err, tt.wantName)
				}
				if got.Name != tt.wantName {
					t.Fatalf("caller = %q, want %q", got.Name, tt.wantName)
				}
				return
			}
			if k := apierr.CodeOf(err); k != tt.wantCode {
				t.Fatalf("Authenticate error = %v (code %q), want code %q; caller %+v", err, k, tt.wantCode, got)
			}
			if got != (Caller{}) {
				t.Errorf("refused, but returned caller %+v", got)
			}
			if !strings.Contains(MessageOf(err), tt.wantMsg) {
				t.Errorf("message %q does not contain %q", MessageOf(err), tt.wantMsg)
			}
			if tt.wantCode == apierr.Unauthorized {
				h := http.Header{}
				SetHeaders(h, err)
				if ch := h.Get("WWW-Authenticate"); !strings.HasPrefix(ch, `Bearer realm="s3presign", error="invalid_token"`) {
					t.Errorf("WWW-Authenticate = %q, want a Bearer invalid_token challenge", ch)
				}
			}
			if strings.Contains(err.Error(), tt.token) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
	if jwks, _ := p.hits(); jwks != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (keys cached)", jwks)
	}
}

func TestOIDCSubjectClaimAndAudiences(t *testing.T) {
	rk := rsaKeys()
	p := newIDP(t, jwkOf(t, "k", rk[0]))
	c := newClock()
	o := newTestOIDC(t, p, c, func(cfg *OIDCConfig) {
		cfg.SubjectClaim = "client_id"
		cfg.Audiences = []string{"a1", testAudience}
		cfg.Algorithms = []string{"RS256"}
	})
	m := claimsFor(p, c, "ignored-sub")
	m["client_id"] = "svc.uploader"
	got, err := o.Authenticate(bearerRequest(mint(t, jwt.SigningMethodRS256, rk[0], "k", m)))
	if err != nil || got.Name != "svc.uploader" {
		t.Fatalf("Authenticate = %+v, %v; want caller svc.uploader", got, err)
	}
	delete(m, "client_id")
	_, err = o.Authenticate(bearerRequest(mint(t, jwt.SigningMethodRS256, rk[0], "k", m)))
	if apierr.CodeOf(err) != apierr.Forbidden || !strings.Contains(MessageOf(err), `"client_id"`) {
		t.Fatalf("without the claim: error = %v, want forbidden naming client_id", err)
	}
}

func TestOIDCMissingAndMalformedHeader(t *testing.T) {
	p := newIDP(t, jwkOf(t, "k", rsaKeys()[0]))
	o := newTestOIDC(t, p, newClock(), nil)
	r := bearerRequest("")
	_, err := o.Authenticate(r)
	h := http.Header{}
	SetHeaders(h, err)
	if apierr.CodeOf(err) != apierr.Unauthorized || h.Get("WWW-Authenticate") != `Bearer realm="s3presign"` {
		t.Fatalf("no header: error %v, challenge %q; want unauthorized with a bare Bearer challenge", err, h.Get("WWW-Authenticate"))
	}
	r.Header.Set("Authorization", "Basic YWxpY2U6c2VjcmV0")
	if _, err := o.Authenticate(r); apierr.CodeOf(err) != apierr.Unauthorized {
		t.Fatalf("Basic scheme: error %v, want unauthorized", err)
	}
	if jwks, disc := p.hits(); jwks+disc != 0 {
		t.Errorf("requests without a bearer token caused %d fetches, want 0", jwks+disc)
	}
}

func TestOIDCUnknownKidThenRotation(t *testing.T) {
	rk := rsaKeys()
	a, b := jwkOf(t, "a", rk[0]), jwkOf(t, "b", rk[1])
	p := newIDP(t, a)
	c := newClock()
	o := newTestOIDC(t, p, c, nil)
	tokA := func() string { return mint(t, jwt.SigningMethodRS256, rk[0], "a", claimsFor(p, c, "alice")) }
	tokB := func() string { return mint(t, jwt.SigningMethodRS256, rk[1], "b", claimsFor(p, c, "alice")) }
	auth := func(tok string) error {
		_, err := o.Authenticate(bearerRequest(tok))
		return err
	}

	if err := auth(tokA()); err != nil {
		t.Fatalf("key a: %v", err)
	}
	c.Advance(2 * time.Second)
	if err := auth(tokB()); apierr.CodeOf(err) != apierr.Unauthorized {
		t.Fatalf("key b before rotation: %v, want unauthorized (the issuer answered, without b)", err)
	}
	if jwks, _ := p.hits(); jwks != 1 {
		t.Fatalf("JWKS fetched %d times, want 1: an unknown kid 2s after a fetch must not refetch", jwks)
	}

	p.setKeys(a, b) // the issuer rotates
	c.Advance(5 * time.Second)
	if err := auth(tokB()); apierr.CodeOf(err) != apierr.Unauthorized {
		t.Fatalf("key b 7s after the last fetch: %v, want unauthorized (refetch bounded to once per 10s)", err)
	}
	c.Advance(4 * time.Second)
	if err := auth(tokB()); err != nil {
		t.Fatalf("key b after rotation and 11s: %v, want accepted after a refetch", err)
	}
	if err := auth(tokA()); err != nil {
		t.Fatalf("key a after rotation: %v", err)
	}
	if jwks, _ := p.hits(); jwks != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", jwks)
	}

	p.setKeys(b) // a is retired; the cache still holds it until the next fetch
	c.Advance(DefaultMaxKeyAge + time.Second)
	if err := auth(tokA()); apierr.CodeOf(err) != apierr.Unauthorized {
		t.Fatalf("retired key a after the cache aged: %v, want unauthorized", err)
	}
	if err := auth(tokB()); err != nil {
		t.Fatalf("key b after a's retirement: %v", err)
	}
}

func TestOIDCRefetchIsBoundedUnderAFlood(t *testing.T) {
	rk := rsaKeys()
	p := newIDP(t, jwkOf(t, "a", rk[0]))
	c := newClock()
	o := newTestOIDC(t, p, c, nil)

	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		tok := mint(t, jwt.SigningMethodRS256, rk[1], fmt.Sprintf("forged-%d", i), claimsFor(p, c, "mallory"))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := o.Authenticate(bearerRequest(tok))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if apierr.CodeOf(err) != apierr.Unauthorized {
			t.Fatalf("forged kid: %v, want unauthorized", err)
		}
	}
	if jwks, disc := p.hits(); jwks != 1 || disc != 1 {
		t.Fatalf("200 unknown kids caused %d JWKS and %d discovery fetches, want 1 and 1", jwks, disc)
	}
	c.Advance(DefaultRefetchInterval)
	_, err := o.Authenticate(bearerRequest(mint(t, jwt.SigningMethodRS256, rk[1], "forged-x", claimsFor(p, c, "mallory"))))
	if apierr.CodeOf(err) != apierr.Unauthorized {
		t.Fatalf("forged kid after 10s: %v", err)
	}
	if jwks, _ := p.hits(); jwks != 2 {
		t.Fatalf("JWKS fetched %d times after 10s, want 2", jwks)
	}
	// control: the real key works throughout
	if _, err := o.Authenticate(bearerRequest(mint(t, jwt.SigningMethodRS256, rk[0], "a", claimsFor(p, c, "alice")))); err != nil {
		t.Fatalf("real key: %v", err)
	}
}

func TestOIDCJWKSDown(t *testing.T) {
	for _, outage := range []struct {
		name string
		set  func(p *idp)
	}{
		{"status 500", func(p *idp) { p.setStatus(http.StatusInternalServerError) }},
		{"empty key set", func(p *idp) { p.setKeys() }},
		{"only a symmetric key", func(p *idp) { p.setKeys(map[string]any{"kty": "oct", "k": "c2VjcmV0"}) }},
		{"hangs past the fetch timeout", func(p *idp) {
			p.mu.Lock()
			p.hang = true
			p.mu.Unlock()
		}},
	} {
		t.Run(outage.name, func(t *testing.T) {
			rk := rsaKeys()
			a, cKey := jwkOf(t, "a", rk[0]), jwkOf(t, "c", rk[2])
			p := newIDP(t, a)
			c := newClock()
			o := newTestOIDC(t, p, c, func(cfg *OIDCConfig) { cfg.FetchTimeout = 200 * time.Millisecond })
			auth := func(key int, kid string) error {
				_, err := o.Authenticate(bearerRequest(mint(t, jwt.SigningMethodRS256, rk[key], kid, claimsFor(p, c, "alice"))))
				return err
			}
			if err := auth(0, "a"); err != nil {
				t.Fatalf("before the outage: %v", err)
			}

			outage.set(p)
			c.Advance(DefaultMaxKeyAge + time.Second) // cache is stale: the next request refetches
			if err := auth(0, "a"); err != nil {
				t.Fatalf("cached key during the outage: %v, want accepted", err)
			}
			if jwks, disc := p.hits(); jwks+disc < 2 {
				t.Fatalf("no refetch was tried for the stale cache (jwks %d, discovery %d)", jwks, disc)
			}
			c.Advance(time.Second)
			err := auth(2, "c")
			if apierr.CodeOf(err) != apierr.Unavailable {
				t.Fatalf("unknown kid during the outage: %v, want unavailable (503), not unauthorized or accepted", err)
			}
			h := http.Header{}
			SetHeaders(h, err)
			if ra := h.Get("Retry-After"); ra != "9" {
				t.Errorf("Retry-After = %q, want 9 (the next fetch may start 10s after the last)", ra)
			}
			c.Advance(DefaultRefetchInterval)
			if err := auth(2, "c"); apierr.CodeOf(err) != apierr.Unavailable {
				t.Fatalf("unknown kid after another failed fetch: %v, want unavailable", err)
			}

			// recovery: the issuer is back, with the new key
			p.mu.Lock()
			p.status, p.hang, p.keys = 0, false, []map[string]any{a, cKey}
			p.mu.Unlock()
			c.Advance(DefaultRefetchInterval)
			if err := auth(2, "c"); err != nil {
				t.Fatalf("new key after the outage: %v, want accepted", err)
			}
		})
	}
}

func TestOIDCDiscovery(t *testing.T) {
	rk := rsaKeys()
	t.Run("issuer mismatch in the discovery document is unavailable", func(t *testing.T) {
		p := newIDP(t, jwkOf(t, "a", rk[0]))
		p.discoveryIss = "https://other.example"
		c := newClock()
		o := newTestOIDC(t, p, c, nil)
		_, err := o.Authenticate(bearerRequest(mint(t, jwt.SigningMethodRS256, rk[0], "a", claimsFor(p, c, "alice"))))
		if apierr.CodeOf(err) != apierr.Unavailable {
			t.Fatalf("error = %v, want unavailable", err)
		}
		if jwks, _ := p.hits(); jwks != 0 {
			t.Fatalf("JWKS fetched %d times after a bad discovery document, want 0", jwks)
		}
	})
	t.Run("a configured JWKS URL skips discovery", func(t *testing.T) {
		p := newIDP(t, jwkOf(t, "a", rk[0]))
		c := newClock()
		o := newTestOIDC(t, p, c, func(cfg *OIDCConfig) { cfg.JWKSURL = p.srv.URL + "/jwks" })
		if _, err := o.Authenticate(bearerRequest(mint(t, jwt.SigningMethodRS256, rk[0], "a", claimsFor(p, c, "alice")))); err != nil {
			t.Fatal(err)
		}
		if jwks, disc := p.hits(); jwks != 1 || disc != 0 {
			t.Fatalf("fetches: jwks %d, discovery %d; want 1, 0", jwks, disc)
		}
	})
}

func TestOIDCPrefetch(t *testing.T) {
	rk := rsaKeys()
	p := newIDP(t, jwkOf(t, "a", rk[0]))
	c := newClock()
	o := newTestOIDC(t, p, c, nil)
	if err := o.Prefetch(context.Background()); err != nil {
		t.Fatalf("Prefetch: %v", err)
	}
	if _, err := o.Authenticate(bearerRequest(mint(t, jwt.SigningMethodRS256, rk[0], "a", claimsFor(p, c, "alice")))); err != nil {
		t.Fatal(err)
	}
	if jwks, _ := p.hits(); jwks != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (prefetched)", jwks)
	}

	down := newIDP(t)
	down.setStatus(http.StatusBadGateway)
	o2 := newTestOIDC(t, down, c, nil)
	if err := o2.Prefetch(context.Background()); err == nil {
		t.Fatal("Prefetch against a failing issuer = nil, want the error")
	}
}

func TestNewOIDCReportsEveryProblem(t *testing.T) {
	_, err := NewOIDC(OIDCConfig{
		Issuer:     "http://idp.example.com",
		JWKSURL:    "ftp://idp.example.com/jwks",
		Algorithms: []string{"RS256", "HS256", "none"},
		Leeway:     time.Hour,
		Realm:      `bad"realm`,
	})
	if err == nil {
		t.Fatal("NewOIDC accepted a bad config")
	}
	for _, want := range []string{"issuer", "JWKS URL", "audience is required", "HMAC", "unsigned", "leeway", "realm"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	// control
	if _, err := NewOIDC(OIDCConfig{Issuer: "https://idp.example.com", Audiences: []string{"x"}}); err != nil {
		t.Fatalf("NewOIDC with a good config: %v", err)
	}
	if _, err := NewOIDC(OIDCConfig{Issuer: "http://127.0.0.1:9000", Audiences: []string{"x"}}); err != nil {
		t.Fatalf("NewOIDC with a loopback http issuer: %v", err)
	}
}

// Discovery and JWKS fetches follow at most 3 redirects, each to https on
// the host first asked; a redirect to another host, to plain http, or a 4th
// one is refused, and the error names the URL without its user info. The
// controls: a same-host https redirect, and a chain of 3.
func TestOIDCFetchRedirects(t *testing.T) {
	rk := rsaKeys()
	jwks, _ := json.Marshal(map[string]any{"keys": []any{jwkOf(t, "a", rk[0])}})
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(jwks) }))
	defer other.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(jwks) }))
	defer plain.Close()
	var issuer string
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) { w.Write(jwks) })
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/jwks", http.StatusFound) })
	mux.HandleFunc("/other-host", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.URL, "https://", "https://user:hunter2@", 1)+"/jwks", http.StatusFound)
	})
	mux.HandleFunc("/plain-http", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/jwks", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			w.Write(jwks)
			return
		}
		http.Redirect(w, r, "/chain/"+strconv.Itoa(n-1), http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/.well-known/openid-configuration", http.StatusFound)
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	issuer = srv.URL

	fetch := func(jwksURL string) error {
		o, err := NewOIDC(OIDCConfig{Issuer: issuer, JWKSURL: jwksURL, Audiences: []string{testAudience},
			Now: newClock().Now, Logger: discardLogger(), HTTPClient: srv.Client()})
		if err != nil {
			t.Fatalf("NewOIDC: %v", err)
		}
		return o.Prefetch(context.Background())
	}
	for _, path := range []string{"/same", "/chain/3", "/jwks"} {
		if err := fetch(srv.URL + path); err != nil {
			t.Errorf("control %s: %v", path, err)
		}
	}
	for path, want := range map[string]string{
		"/other-host": "same https host",
		"/plain-http": "only https redirects",
		"/chain/4":    "more than 3 redirects",
	} {
		err := fetch(srv.URL + path)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", path, err, want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "user@") {
			t.Errorf("%s: the error shows user info: %v", path, err)
		}
	}
	// Discovery too: the issuer's discovery document redirects elsewhere.
	if err := fetch(""); err == nil || !strings.Contains(err.Error(), "same https host") {
		t.Errorf("discovery redirected to another host: %v", err)
	}
}
