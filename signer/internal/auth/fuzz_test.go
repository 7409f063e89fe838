package auth

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

// bearerMessages is every client message parseBearer may give: fixed texts,
// so no header content can be echoed.
var bearerMessages = map[string]bool{
	"missing credentials: send Authorization: Bearer <token>": true,
	"more than one Authorization header":                      true,
	"Authorization scheme must be Bearer":                     true,
	"empty bearer token":                                      true,
	"bearer token too long":                                   true,
	"bearer token has characters outside RFC 6750 b64token":   true,
}

// FuzzParseBearer: any Authorization header (one or two lines) gives either a
// well-formed token taken from it, or an unauthorized refusal with a fixed
// message and a well-formed challenge.
func FuzzParseBearer(f *testing.F) {
	f.Add("Bearer abc.def.ghi", "")
	f.Add("bearer s3p_AAAA", "")
	f.Add("Basic dXNlcjpwYXNz", "")
	f.Add("Bearer a b", "")
	f.Add("Bearer x", "Bearer y")
	f.Add("Bearer ==", "")
	f.Fuzz(func(t *testing.T, h1, h2 string) {
		values := []string{h1}
		if h2 != "" {
			values = append(values, h2)
		}
		tok, err := parseBearer(values, challenger{realm: DefaultRealm})
		if err == nil {
			if len(values) != 1 || tok == "" || len(tok) > MaxTokenLen || !isB64Token(tok) || !strings.HasSuffix(strings.TrimSpace(h1), tok) {
				t.Fatalf("accepted %q from %q", tok, values)
			}
			return
		}
		if apierr.CodeOf(err) != apierr.Unauthorized || !bearerMessages[MessageOf(err)] {
			t.Fatalf("refusal not classified with a fixed message: %v", err)
		}
		h := http.Header{}
		SetHeaders(h, err)
		ch := h.Get("WWW-Authenticate")
		if !strings.HasPrefix(ch, `Bearer realm="s3presign"`) || strings.ContainsAny(ch, "\r\n") {
			t.Fatalf("bad challenge %q", ch)
		}
	})
}

// FuzzAPIKeyHeader: no Authorization header ever authenticates except the
// one carrying the real key.
func FuzzAPIKeyHeader(f *testing.F) {
	key, line, err := NewAPIKey("alice", bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		f.Fatal(err)
	}
	a, err := NewAPIKeys(line, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Bearer " + key)
	f.Add("Bearer " + HashAPIKey(key))
	f.Add("Bearer " + key[:len(key)-1])
	f.Add("Basic " + key)
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", h)
		c, err := a.Authenticate(r)
		if err == nil {
			if got, _ := parseBearer([]string{h}, challenger{realm: DefaultRealm}); got != key || c.Name != "alice" {
				t.Fatalf("header %q authenticated as %+v", h, c)
			}
			return
		}
		if apierr.CodeOf(err) != apierr.Unauthorized {
			t.Fatalf("refusal not unauthorized: %v", err)
		}
		if strings.Contains(err.Error(), key) {
			t.Fatalf("error echoes the key: %v", err)
		}
	})
}

// FuzzForwardedFor: the client address is always the hops-th entry from the
// right (or none), and whatever a client puts in front of the entries the
// trusted proxies appended never changes it.
func FuzzForwardedFor(f *testing.F) {
	f.Add("1.1.1.1, 2.2.2.2", "203.0.113.9", uint8(1))
	f.Add("", "2001:db8::1", uint8(1))
	f.Add("x,,y", "203.0.113.9, 10.0.0.1", uint8(2))
	f.Add("1.1.1.1", "[::1]:80", uint8(1))
	f.Add(",", "", uint8(3))
	f.Fuzz(func(t *testing.T, spoof, trusted string, hops uint8) {
		n := int(hops%4) + 1
		got, ok := forwardedFor([]string{trusted}, n)
		entries := strings.Split(trusted, ",")
		if len(entries) >= n {
			want, wantOK := parseForwardedAddr(entries[len(entries)-n])
			if ok != wantOK || got != want {
				t.Fatalf("forwardedFor(%q, %d) = %v, %v; want %v, %v", trusted, n, got, ok, want, wantOK)
			}
			// a client-supplied prefix, as one list or as an earlier header line, changes nothing
			for _, values := range [][]string{{spoof + "," + trusted}, {spoof, trusted}} {
				if g2, ok2 := forwardedFor(values, n); g2 != got || ok2 != ok {
					t.Fatalf("spoofed prefix %q moved the client from %v to %v", spoof, got, g2)
				}
			}
		} else if ok {
			t.Fatalf("forwardedFor(%q, %d) = %v from a list of %d entries", trusted, n, got, len(entries))
		}
		if ok && (!got.IsValid() || got.Zone() != "" || got.Is4In6()) {
			t.Fatalf("address %v not normalized", got)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "10.0.0.5:1"
		r.Header.Set("X-Forwarded-For", spoof+","+trusted)
		if a := ClientIP(r, n); !a.IsValid() {
			t.Fatalf("ClientIP gave no address although RemoteAddr is valid")
		} else if !ok && len(entries) >= n && a != netip.MustParseAddr("10.0.0.5") {
			t.Fatalf("an unreadable entry did not fall back to the peer: %v", a)
		}
	})
}

// FuzzParseJWKS: any JWKS document parses or is refused without panicking,
// and every key kept can verify something.
func FuzzParseJWKS(f *testing.F) {
	f.Add(`{"keys":[{"kty":"EC","crv":"P-256","x":"` + strings.Repeat("A", 43) + `","y":"` + strings.Repeat("A", 43) + `"}]}`)
	f.Add(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`)
	f.Add(`{"keys":[{"kty":"oct","k":"AAAA"}]}`)
	f.Add(`{"keys":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		keys, err := parseJWKS([]byte(body))
		if err != nil {
			return
		}
		if len(keys) == 0 || len(keys) > maxJWKSKeys {
			t.Fatalf("%d keys without an error", len(keys))
		}
		for _, k := range keys {
			usable := false
			for _, alg := range authconfig.DefaultAlgorithms {
				usable = usable || k.fits(alg)
			}
			for _, alg := range []string{"ES384", "ES512", "PS256"} {
				usable = usable || k.fits(alg)
			}
			if !usable && k.alg == "" {
				t.Fatalf("kept a key that fits no algorithm: %T", k.key)
			}
			if k.fits("HS256") || k.fits("none") {
				t.Fatalf("a key fits HS256 or none")
			}
		}
	})
}

// FuzzOIDCToken: arbitrary bearer tokens never authenticate (the seeds include
// a valid token, and a change to it must break the signature), never panic,
// and every refusal is classified.
func FuzzOIDCToken(f *testing.F) {
	rk := rsaKeys()
	p := newIDP(f, jwkOf(f, "a", rk[0]))
	c := newClock()
	o, err := NewOIDC(OIDCConfig{Issuer: p.srv.URL, Audiences: []string{testAudience}, Now: c.Now, Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claimsFor(p, c, "alice"))
	tok.Header["kid"] = "a"
	valid, err := tok.SignedString(rk[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(strings.Replace(valid, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		caller, err := o.Authenticate(bearerRequest(s))
		if err == nil {
			if s != valid || caller.Name != "alice" {
				t.Fatalf("token %q authenticated as %+v", s, caller)
			}
			return
		}
		switch apierr.CodeOf(err) {
		case apierr.Unauthorized, apierr.Forbidden:
		default:
			t.Fatalf("refusal not classified as unauthorized/forbidden: %v", err)
		}
	})
}
