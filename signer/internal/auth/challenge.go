package auth

import (
	"fmt"
	"strings"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// DefaultRealm is the realm named in WWW-Authenticate challenges.
const DefaultRealm = "s3presign"

// challenger builds unauthorized errors with RFC 6750 Bearer challenges for one realm.
type challenger struct{ realm string }

func newChallenger(realm string) (challenger, error) {
	if realm == "" {
		realm = DefaultRealm
	}
	if err := checkQuotable(realm); err != nil {
		return challenger{}, fmt.Errorf("realm: %w", err)
	}
	return challenger{realm: realm}, nil
}

// checkQuotable accepts printable ASCII without '"' and '\', so the value can
// sit inside a quoted-string unescaped.
func checkQuotable(s string) error {
	if len(s) > 128 {
		return fmt.Errorf("longer than 128 bytes")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return fmt.Errorf("byte %d is not printable ASCII or is a quote or backslash", i)
		}
	}
	return nil
}

// missing is the refusal for a request that carries no credentials: the
// challenge has no error attribute (RFC 6750 section 3.1).
func (c challenger) missing(msg string) *Error {
	return &Error{
		Code:      apierr.Unauthorized,
		Message:   msg,
		Challenge: fmt.Sprintf(`Bearer realm="%s"`, c.realm),
	}
}

// invalid is the refusal for credentials that are malformed, unknown, expired
// or otherwise not valid: error="invalid_token". msg is a fixed, client-safe
// text (it becomes error_description); cause goes to logs.
func (c challenger) invalid(msg string, cause error) *Error {
	return &Error{
		Code:    apierr.Unauthorized,
		Message: msg,
		Challenge: fmt.Sprintf(`Bearer realm="%s", error="invalid_token", error_description="%s"`,
			c.realm, strings.Map(quotableRune, msg)),
		Err: cause,
	}
}

func quotableRune(r rune) rune {
	if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
		return '_'
	}
	return r
}
