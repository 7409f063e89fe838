package authconfig

import (
	"fmt"
	"strings"
)

// Mode is how the signer authenticates callers.
type Mode string

// The authentication modes.
const (
	// ModeNone treats every request as the anonymous caller. Refused in
	// production.
	ModeNone Mode = "none"
	// ModeAPIKey accepts "Authorization: Bearer <key>" with keys stored as SHA-256 hashes.
	ModeAPIKey Mode = "apikey"
	// ModeOIDC accepts "Authorization: Bearer <JWT>" verified against an issuer's JWKS.
	ModeOIDC Mode = "oidc"
)

// ParseMode parses an authentication mode. Case and surrounding spaces are
// ignored. An empty value is an error: the mode must be chosen explicitly.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeNone, ModeAPIKey, ModeOIDC:
		return m, nil
	case "":
		return "", fmt.Errorf("authentication mode is not set: want one of none, apikey, oidc")
	default:
		return "", fmt.Errorf("unknown authentication mode %q: want one of none, apikey, oidc", s)
	}
}

// CheckMode refuses mode none in production: a signer without authentication
// hands bucket access to anyone who can reach it. Production is an explicit
// setting of the deployment, never guessed from its name, so that an
// environment called "eu-prod" is guarded and a local stack called "prod" is
// not.
func CheckMode(m Mode, production bool) error {
	if m == ModeNone && production {
		return fmt.Errorf("authentication mode %q is refused in production: "+
			"an unauthenticated signer makes the bucket writable by anyone who can reach it; "+
			"use apikey or oidc", m)
	}
	return nil
}
