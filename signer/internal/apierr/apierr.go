// Package apierr holds the signer's stable API error codes and the one error
// type that carries a code and a message meant for the client. Packages that
// refuse input (objectkey, rules, uploadtoken, api) return *Error; the api
// package alone maps codes to HTTP statuses (api.Status).
package apierr

import "fmt"

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
