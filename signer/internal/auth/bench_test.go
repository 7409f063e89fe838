package auth

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

func BenchmarkAPIKeys100(b *testing.B) {
	var lines []string
	var key string
	for i := range 100 {
		k, line, err := NewAPIKey(fmt.Sprintf("caller%d", i), bytes.NewReader(bytes.Repeat([]byte{byte(i)}, 32)))
		if err != nil {
			b.Fatal(err)
		}
		lines, key = append(lines, line), k
	}
	a, err := NewAPIKeys(strings.Join(lines, "\n"), "")
	if err != nil {
		b.Fatal(err)
	}
	r := bearerRequest(key)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

func benchOIDC(b *testing.B, m jwt.SigningMethod, key any, pub map[string]any) {
	p := newIDP(b, pub)
	c := newClock()
	o, err := NewOIDC(OIDCConfig{Issuer: p.srv.URL, Audiences: []string{testAudience}, Now: c.Now, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	r := bearerRequest(mint(b, m, key, "k", claimsFor(p, c, "alice")))
	if _, err := o.Authenticate(r); err != nil { // warm the key cache
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOIDCRS256(b *testing.B) {
	benchOIDC(b, jwt.SigningMethodRS256, rsaKeys()[0], jwkOf(b, "k", rsaKeys()[0]))
}

func BenchmarkOIDCES256(b *testing.B) {
	benchOIDC(b, jwt.SigningMethodES256, ecKeys()[0], jwkOf(b, "k", ecKeys()[0]))
}

func BenchmarkLimiterAllowCaller(b *testing.B) {
	l, err := NewLimiter(LimiterConfig{Default: authconfig.Limit{PerSecond: 1e6, Burst: 1e6}, TrustedProxyHops: 1})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("X-Forwarded-For", "1.1.1.1, 203.0.113.9")
	c := Caller{Name: "alice"}
	b.ReportAllocs()
	for b.Loop() {
		_ = l.AllowCaller(r, c)
	}
}
