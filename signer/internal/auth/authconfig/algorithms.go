package authconfig

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultAlgorithms are the JWS algorithms accepted when none are configured.
var DefaultAlgorithms = []string{"RS256", "ES256"}

// supported lists every asymmetric JWS algorithm that may be configured.
var supported = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
}

// ParseAlgorithms parses a comma-separated list of JWS algorithms. Empty gives
// DefaultAlgorithms. "none" and the HMAC algorithms (HS256/384/512) are refused
// outright: the verification keys come from a public JWKS, and HMAC with a
// public key lets anyone forge tokens. Names are case-insensitive; the result
// is upper case, without duplicates, in the order given.
func ParseAlgorithms(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return append([]string(nil), DefaultAlgorithms...), nil
	}
	var out []string
	var errs []error
	seen := map[string]bool{}
	for _, raw := range strings.Split(s, ",") {
		a := strings.ToUpper(strings.TrimSpace(raw))
		switch {
		case a == "":
			errs = append(errs, fmt.Errorf("empty algorithm name in list"))
		case a == "NONE":
			errs = append(errs, fmt.Errorf("algorithm %q is refused: unsigned tokens are never accepted", raw))
		case strings.HasPrefix(a, "HS"):
			errs = append(errs, fmt.Errorf("algorithm %q is refused: HMAC keys would be the issuer's public keys, so anyone could sign", raw))
		case !supported[a]:
			errs = append(errs, fmt.Errorf("algorithm %q is not supported: want RS256/384/512, PS256/384/512 or ES256/384/512", raw))
		case !seen[a]:
			seen[a] = true
			out = append(out, a)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckAlgorithms validates an already-split list with the rules of ParseAlgorithms.
func CheckAlgorithms(algs []string) error {
	if len(algs) == 0 {
		return fmt.Errorf("no JWS algorithms allowed")
	}
	_, err := ParseAlgorithms(strings.Join(algs, ","))
	return err
}
