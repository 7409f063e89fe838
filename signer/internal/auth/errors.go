package auth

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Error is a refusal of authentication or rate limiting. Message is safe to
// show the client; Err is the cause, for logs. Neither ever holds a token, key
// or signature.
type Error struct {
	// Code is the API error code (package apierr), so the API's one
	// code-to-status mapping decides the status: apierr.Unauthorized (no
	// credentials, or credentials that are not valid: 401), apierr.Forbidden
	// (valid credentials whose identity cannot use the signer, e.g. a subject
	// that is not a safe caller name: 403), apierr.RateLimited (the caller's
	// or client IP's bucket is empty: 429) or apierr.Unavailable (the
	// credentials cannot be checked now, e.g. the token's key is unknown and
	// the issuer's JWKS cannot be fetched: 503).
	Code string
	// Message is a fixed, client-safe text.
	Message string
	// Challenge is the WWW-Authenticate value to send (unauthorized only).
	Challenge string
	// RetryAfter, when positive, is sent as Retry-After in whole seconds,
	// rounded up.
	RetryAfter time.Duration
	// Err is the cause, for logs.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the API error code, so the API's error writer maps it
// like its own errors.
func (e *Error) ErrorCode() string { return e.Code }

// PublicMessage returns the client-safe message, without the cause.
func (e *Error) PublicMessage() string { return e.Message }

// MessageOf returns the client-safe message of the first *Error in err's
// chain, or "" if there is none.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// SetHeaders sets the response headers that err's refusal calls for:
// WWW-Authenticate for unauthorized, Retry-After for rate_limited and
// unavailable. It does nothing for other errors. Call it before WriteHeader.
func SetHeaders(h http.Header, err error) {
	var e *Error
	if !errors.As(err, &e) {
		return
	}
	if e.Challenge != "" {
		h.Set("WWW-Authenticate", e.Challenge)
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(RetryAfterSeconds(e.RetryAfter), 10))
	}
}

// RetryAfterSeconds rounds d up to whole seconds, at least 1.
func RetryAfterSeconds(d time.Duration) int64 {
	s := int64(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}
