// Package apierr holds the signer's stable API error codes, the only codes
// there are, and the error type that carries a code and a message meant for
// the client. Packages that refuse input (objectkey, rules, uploadtoken, api)
// return *Error; auth and creds refusals, which need more fields, carry the
// same codes (CodeOf reads any of them). The api package alone maps codes to
// HTTP statuses (api.Status).
package apierr

import (
	"errors"
	"fmt"
)

// Stable error codes of the API. Clients may rely on them; messages may change.
const (
	Invalid          = "invalid_request"
	Unauthorized     = "unauthorized"
	Forbidden        = "forbidden"
	NotFound         = "not_found"
	MethodNotAllowed = "method_not_allowed"
	Conflict         = "conflict"
	TooLarge         = "too_large"
	MediaType        = "unsupported_media_type"
	RateLimited      = "rate_limited"
	Internal         = "internal"
	Unavailable      = "unavailable"
)

// Error is a refusal: a stable code and a message safe to show the client.
type Error struct {
	Code    string
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// ErrorCode returns the stable API error code.
func (e *Error) ErrorCode() string { return e.Code }

// New returns an *Error with code and a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// coder is implemented by every error that carries a code: *Error and the
// refusals of packages that need more fields (auth.Error, creds.Error).
type coder interface{ ErrorCode() string }

// CodeOf returns the code of the first error in err's chain that carries
// one, or Internal: an error without a code is the server's fault.
func CodeOf(err error) string {
	var c coder
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return Internal
}
