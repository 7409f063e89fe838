package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func jwksBody(t *testing.T, keys ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for a, b := range m {
		out[a] = b
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func TestParseJWKS(t *testing.T) {
	rk, ek := rsaKeys(), ecKeys()
	good := jwkOf(t, "r", rk[0])
	goodEC := jwkOf(t, "e", ek[0])
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	y := []byte(goodEC["y"].(string))
	if y[0] == 'A' {
		y[0] = 'B'
	} else {
		y[0] = 'A'
	}
	offCurve := with(goodEC, "y", string(y))

	tests := []struct {
		name     string
		body     []byte
		wantKeys int // 0 = error
	}{
		{"RSA and EC (control)", jwksBody(t, good, goodEC), 2},
		{"use sig and padded base64 accepted", jwksBody(t, with(good, "n", good["n"].(string)+"="), with(goodEC, "use", "sig")), 2},
		{"unusable keys skipped beside a good one", jwksBody(t, good, with(goodEC, "use", "enc"), map[string]any{"kty": "oct", "k": "c2VjcmV0"}), 1},
		{"RSA 1024 bits", jwksBody(t, jwkOf(t, "w", weak)), 0},
		{"RSA even exponent", jwksBody(t, with(good, "e", b64([]byte{2}))), 0},
		{"RSA exponent 1", jwksBody(t, with(good, "e", b64([]byte{1}))), 0},
		{"RSA exponent too long", jwksBody(t, with(good, "e", b64([]byte{1, 0, 0, 0, 1}))), 0},
		{"RSA modulus missing", jwksBody(t, with(good, "n", nil)), 0},
		{"EC point off the curve", jwksBody(t, offCurve), 0},
		{"EC short coordinate", jwksBody(t, with(goodEC, "x", b64([]byte{1, 2, 3}))), 0},
		{"EC unknown curve", jwksBody(t, with(goodEC, "crv", "secp256k1")), 0},
		{"use enc only", jwksBody(t, with(good, "use", "enc")), 0},
		{"symmetric key only", jwksBody(t, map[string]any{"kty": "oct", "k": "c2VjcmV0"}), 0},
		{"OKP key only", jwksBody(t, map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}), 0},
		{"empty set", []byte(`{"keys":[]}`), 0},
		{"no keys member", []byte(`{}`), 0},
		{"keys not an array", []byte(`{"keys":{}}`), 0},
		{"not JSON", []byte(`<html>`), 0},
		{"a key that is not an object", []byte(`{"keys":[1,"x",null]}`), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := parseJWKS(tt.body)
			if tt.wantKeys == 0 {
				if err == nil {
					t.Fatalf("parseJWKS = %d keys, want an error", len(keys))
				}
				return
			}
			if err != nil || len(keys) != tt.wantKeys {
				t.Fatalf("parseJWKS = %d keys, %v; want %d", len(keys), err, tt.wantKeys)
			}
		})
	}
}

func TestParseJWKSCapsKeys(t *testing.T) {
	var keys []map[string]any
	for i := range maxJWKSKeys + 20 {
		keys = append(keys, jwkOf(t, fmt.Sprint(i), ecKeys()[0]))
	}
	got, err := parseJWKS(jwksBody(t, keys...))
	if err != nil || len(got) != maxJWKSKeys {
		t.Fatalf("parseJWKS = %d keys, %v; want %d", len(got), err, maxJWKSKeys)
	}
}

func TestKeyFitsAlg(t *testing.T) {
	rk, ek := rsaKeys(), ecKeys()
	parse := func(m map[string]any) publicKey {
		t.Helper()
		k, err := parseJWKS(jwksBody(t, m))
		if err != nil {
			t.Fatal(err)
		}
		return k[0]
	}
	rsaK, p256, p384 := parse(jwkOf(t, "r", rk[0])), parse(jwkOf(t, "e", ek[0])), parse(jwkOf(t, "e3", ek[2]))
	pinned := parse(with(jwkOf(t, "r", rk[0]), "alg", "PS256"))
	tests := []struct {
		name string
		k    publicKey
		fits string
		not  string
	}{
		{"RSA", rsaK, "RS256 RS384 RS512 PS256 PS384 PS512", "ES256 ES384 ES512 HS256 none"},
		{"P-256", p256, "ES256", "ES384 ES512 RS256 HS256"},
		{"P-384", p384, "ES384", "ES256 ES512 RS256"},
		{"RSA pinned to PS256", pinned, "PS256", "RS256 PS384"},
	}
	for _, tt := range tests {
		for _, alg := range strings.Fields(tt.fits) {
			if !tt.k.fits(alg) {
				t.Errorf("%s key does not fit %s", tt.name, alg)
			}
		}
		for _, alg := range strings.Fields(tt.not) {
			if tt.k.fits(alg) {
				t.Errorf("%s key fits %s", tt.name, alg)
			}
		}
	}
}
