package auth

import (
	"fmt"
	"net/http"

	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

// Authenticator establishes who sent a request. Refusals are *Error values
// (see Kind); any other error is a bug and should be treated as internal.
type Authenticator interface {
	Authenticate(r *http.Request) (Caller, error)
}

// Settings selects and configures an Authenticator.
type Settings struct {
	// Mode is none, apikey or oidc.
	Mode authconfig.Mode
	// Production marks a production deployment (config.EnvProduction):
	// mode none is refused there.
	Production bool
	// Realm is named in WWW-Authenticate challenges (default DefaultRealm).
	Realm string
	// APIKeys holds the hash lines for mode apikey (see authconfig.KeyLine).
	APIKeys string
	// OIDC configures mode oidc. Its Realm defaults to Settings.Realm.
	OIDC OIDCConfig
}

// New returns the Authenticator for s.Mode: *None, *APIKeys or *OIDC.
func New(s Settings) (Authenticator, error) {
	if err := authconfig.CheckMode(s.Mode, s.Production); err != nil {
		return nil, err
	}
	switch s.Mode {
	case authconfig.ModeNone:
		return NewNone(s.Production)
	case authconfig.ModeAPIKey:
		return NewAPIKeys(s.APIKeys, s.Realm)
	case authconfig.ModeOIDC:
		c := s.OIDC
		if c.Realm == "" {
			c.Realm = s.Realm
		}
		return NewOIDC(c)
	default:
		return nil, fmt.Errorf("unknown authentication mode %q: want one of none, apikey, oidc", s.Mode)
	}
}

// None is mode none: every request is the anonymous caller. It exists for
// local development and tests, and is refused in production.
type None struct{}

// NewNone returns the mode-none authenticator, or an error in production.
func NewNone(production bool) (*None, error) {
	if err := authconfig.CheckMode(authconfig.ModeNone, production); err != nil {
		return nil, err
	}
	return &None{}, nil
}

// Authenticate returns the anonymous caller.
func (*None) Authenticate(*http.Request) (Caller, error) { return Caller{}, nil }
