package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeClock is a settable clock shared by the code under test and the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Keys are generated once per test binary: RSA generation is slow.
var (
	rsaKeys = sync.OnceValue(func() []*rsa.PrivateKey {
		out := make([]*rsa.PrivateKey, 3)
		for i := range out {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			out[i] = k
		}
		return out
	})
	ecKeys = sync.OnceValue(func() []*ecdsa.PrivateKey {
		var out []*ecdsa.PrivateKey
		for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P256(), elliptic.P384()} {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				panic(err)
			}
			out = append(out, k)
		}
		return out
	})
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwkOf returns the public JWK of an RSA or EC private key.
func jwkOf(t testing.TB, kid string, priv crypto.Signer) map[string]any {
	t.Helper()
	switch k := priv.Public().(type) {
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		p, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		size := (len(p) - 1) / 2
		return map[string]any{"kty": "EC", "kid": kid, "crv": k.Curve.Params().Name, "x": b64(p[1 : 1+size]), "y": b64(p[1+size:])}
	}
	t.Fatalf("unsupported key %T", priv)
	return nil
}

// idp is a local OpenID provider: discovery document and JWKS, switchable
// between serving, failing and hanging.
type idp struct {
	srv *httptest.Server

	mu            sync.Mutex
	keys          []map[string]any
	status        int    // non-zero: answer JWKS and discovery with this status
	hang          bool   // block until the client gives up
	discoveryIss  string // issuer named in the discovery document ("" = ours)
	jwksHits      int
	discoveryHits int
}

func newIDP(t testing.TB, keys ...map[string]any) *idp {
	t.Helper()
	p := &idp{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.discoveryHits++
		status, hang, iss := p.status, p.hang, p.discoveryIss
		p.mu.Unlock()
		if hang {
			<-r.Context().Done()
			return
		}
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		if iss == "" {
			iss = p.srv.URL
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "jwks_uri": p.srv.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.jwksHits++
		status, hang := p.status, p.hang
		body, _ := json.Marshal(map[string]any{"keys": p.keys})
		p.mu.Unlock()
		if hang {
			<-r.Context().Done()
			return
		}
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) setKeys(keys ...map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = keys
}

func (p *idp) setStatus(s int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = s
}

func (p *idp) hits() (jwks, discovery int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksHits, p.discoveryHits
}

const testAudience = "s3presign-test"

// claimsFor returns valid claims for the idp at the clock's time.
func claimsFor(p *idp, c *fakeClock, sub string) jwt.MapClaims {
	now := c.Now()
	return jwt.MapClaims{
		"iss": p.srv.URL,
		"aud": testAudience,
		"sub": sub,
		"iat": now.Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(10 * time.Minute).Unix(),
	}
}

// mint signs claims with key under alg and kid ("" = no kid header).
func mint(t testing.TB, m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing test token: %v", err)
	}
	return s
}

// newTestOIDC returns an OIDC authenticator for p on clock c.
func newTestOIDC(t *testing.T, p *idp, c *fakeClock, mod func(*OIDCConfig)) *OIDC {
	t.Helper()
	cfg := OIDCConfig{
		Issuer:    p.srv.URL,
		Audiences: []string{testAudience},
		Now:       c.Now,
		Logger:    discardLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	o, err := NewOIDC(cfg)
	if err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	return o
}

func bearerRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/uploads", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
