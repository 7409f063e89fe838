package auth

import (
	"net/http"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// ErrorWriter writes err as the response. The API passes its one error writer,
// which maps apierr.CodeOf(err) to a status and calls SetHeaders, so statuses are
// decided in one place.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Middleware authenticates each request with a and stores the caller in the
// request context (see FromContext) before calling the next handler. A
// refusal goes to onError and the next handler is not called.
//
// If lim is not nil, each unauthorized or forbidden refusal is charged to the
// client IP's bucket first; once that bucket is empty the refusal is reported
// as rate_limited instead, which throttles key and token guessing per client.
// Unavailable refusals (the issuer is unreachable) are not charged.
//
// The API decides which routes get this middleware; health routes do not.
func Middleware(a Authenticator, lim *Limiter, onError ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := a.Authenticate(r)
			if err != nil {
				if lim != nil && apierr.CodeOf(err) != apierr.Unavailable {
					if lerr := lim.AllowIP(r); lerr != nil {
						onError(w, r, lerr)
						return
					}
				}
				onError(w, r, err)
				return
			}
			next.ServeHTTP(w, withCaller(r, c))
		})
	}
}

// RateLimit charges each request to its caller's bucket (the anonymous caller
// to its client IP's) and refuses it with a rate_limited error once the bucket
// is empty. Put it inside Middleware, so the caller is known; a request with no
// caller in its context is charged as anonymous.
func RateLimit(lim *Limiter, onError ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := FromContext(r.Context())
			if err := lim.AllowCaller(r, c); err != nil {
				onError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
