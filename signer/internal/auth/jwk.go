package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Limits on what a JWKS may hold.
const (
	maxJWKSKeys    = 100
	minRSABits     = 2048
	maxRSABits     = 8192
	maxJWKSBodyLen = 1 << 20
)

// publicKey is one usable verification key from a JWKS.
type publicKey struct {
	kid string
	alg string // the JWK's "alg", "" if it gave none
	key crypto.PublicKey
}

// jwkJSON holds the JWK members read (RFC 7517, RFC 7518 section 6). Private
// members are never read.
type jwkJSON struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS parses a JWK Set. Keys that cannot verify signatures here are
// skipped, as RFC 7517 section 5 asks: other key types and curves, "use"
// other than "sig", RSA moduli outside 2048..8192 bits, EC points not on
// their curve. A set with no usable key is an error, so a broken response
// never replaces working keys.
func parseJWKS(body []byte) ([]publicKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("JWKS is not a JSON object with a keys array: %w", err)
	}
	var keys []publicKey
	var skipped []error
	for i, raw := range set.Keys {
		if len(keys) == maxJWKSKeys {
			skipped = append(skipped, fmt.Errorf("keys past the first %d usable ones ignored", maxJWKSKeys))
			break
		}
		var j jwkJSON
		if err := json.Unmarshal(raw, &j); err != nil {
			skipped = append(skipped, fmt.Errorf("key %d: %w", i, err))
			continue
		}
		k, err := j.publicKey()
		if err != nil {
			skipped = append(skipped, fmt.Errorf("key %d: %w", i, err))
			continue
		}
		keys = append(keys, publicKey{kid: j.Kid, alg: j.Alg, key: k})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("JWKS has no usable signature key: %w", errors.Join(append(skipped, errors.New("(none given)"))...))
	}
	return keys, nil
}

func (j jwkJSON) publicKey() (crypto.PublicKey, error) {
	if j.Use != "" && j.Use != "sig" {
		return nil, fmt.Errorf("use %q is not sig", j.Use)
	}
	switch j.Kty {
	case "RSA":
		return rsaKey(j.N, j.E)
	case "EC":
		return ecKey(j.Crv, j.X, j.Y)
	default:
		return nil, fmt.Errorf("key type %q not supported", j.Kty)
	}
}

func b64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	n, err := b64url(n64)
	if err != nil || len(n) == 0 {
		return nil, fmt.Errorf("RSA modulus n is not base64url")
	}
	e, err := b64url(e64)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, fmt.Errorf("RSA exponent e is not a base64url integer of at most 4 bytes")
	}
	N := new(big.Int).SetBytes(n)
	E := new(big.Int).SetBytes(e).Int64()
	if bits := N.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("RSA modulus is %d bits, want %d..%d", bits, minRSABits, maxRSABits)
	}
	if E < 3 || E > 1<<31-1 || E%2 == 0 {
		return nil, fmt.Errorf("RSA exponent %d is not an odd number in [3, 2^31)", E)
	}
	return &rsa.PublicKey{N: N, E: int(E)}, nil
}

func ecKey(crv, x64, y64 string) (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	switch crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	case "P-521":
		curve = elliptic.P521()
	default:
		return nil, fmt.Errorf("curve %q not supported", crv)
	}
	size := (curve.Params().BitSize + 7) / 8
	x, errX := b64url(x64)
	y, errY := b64url(y64)
	if errX != nil || errY != nil || len(x) != size || len(y) != size {
		return nil, fmt.Errorf("EC coordinates are not base64url of %d bytes each", size)
	}
	point := make([]byte, 0, 1+2*size)
	point = append(point, 4)
	point = append(point, x...)
	point = append(point, y...)
	k, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, fmt.Errorf("EC point: %w", err)
	}
	return k, nil
}

// fits reports whether k can verify tokens signed with alg: RS*/PS* need an
// RSA key, ES256/384/512 a P-256/384/521 key, and a JWK that names its "alg"
// may only be used with that alg.
func (k publicKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return key.Curve == elliptic.P256()
		case "ES384":
			return key.Curve == elliptic.P384()
		case "ES512":
			return key.Curve == elliptic.P521()
		}
	}
	return false
}
