package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/s3presign/s3presign/signer/internal/auth"
	"github.com/s3presign/s3presign/signer/internal/objectkey"
)

// Operations named in audit lines.
const (
	OpUpload         = "upload"
	OpDownload       = "download"
	OpCompatUpload   = "compat_upload"
	OpCompatDownload = "compat_download"
)

// notAuthenticated is what Deps.Caller returns, when Deps.Auth is set, for a
// request that did not pass the authentication middleware. It is not a valid
// caller name, so building a key for it fails: a route wired without the
// middleware issues nothing rather than acting as the anonymous caller.
const notAuthenticated = "\x00not-authenticated"

// wireAuth derives Authenticate and Caller from Auth and Limiter. Each
// URL-issuing request is authenticated first (refusals charged to the client
// IP's bucket), then charged to its caller's bucket.
func (d *Deps) wireAuth() {
	if d.Auth == nil {
		return
	}
	a, lim := d.Auth, d.Limiter
	onError := func(w http.ResponseWriter, r *http.Request, err error) { writeError(w, r, d.Logger, err) }
	d.Authenticate = func(h http.Handler) http.Handler {
		if lim != nil {
			h = auth.RateLimit(lim, onError)(h)
		}
		return auth.Middleware(a, lim, onError)(noteCaller(h))
	}
	d.Caller = func(r *http.Request) string {
		c, ok := auth.FromContext(r.Context())
		if !ok {
			return notAuthenticated
		}
		return c.Name
	}
}

// readable checks that the caller may get a download URL for key: it must
// follow the key grammar and lie under the caller's own scope, or under a
// prefix the configuration shares with the caller. Any other key is
// forbidden.
func (d *Deps) readable(key, caller, scope string) error {
	err := objectkey.Valid(key, scope)
	if codeOf(err) != CodeForbidden {
		return err
	}
	if caller != "" {
		for _, p := range d.SharedPrefixes[caller] {
			if objectkey.Valid(key, p) == nil {
				return nil
			}
		}
		return &Error{Code: CodeForbidden, Message: fmt.Sprintf("key is not under your prefix %q or a prefix shared with you", scope)}
	}
	return err
}

// audit records one issued URL in the request's log line, which then is
// its audit line (see RequestLog): who got it, for what, which key, how many
// bytes it may write (0 for reads) and when it expires. Never the URL. It
// also counts the issue in the metrics: every route that hands out URLs
// calls it once per answer.
func (d *Deps) audit(r *http.Request, caller, op, key string, sizeLimit int64, expiresAt time.Time) {
	d.issued(op, caller)
	x := exchangeOf(r)
	if x == nil {
		// Outside the middleware (a handler under test): a line of its own,
		// so that no issue goes unrecorded.
		x = &exchange{id: requestID(r), status: http.StatusOK}
		defer d.RequestLog.write(&requestLine{x: x, r: r, end: time.Now(), bucket: d.Presigner.Bucket(), hops: d.TrustedProxyHops})
	}
	x.caller, x.issued = caller, true
	x.issue = issue{op: op, key: key, sizeLimit: sizeLimit, expiresAt: expiresAt}
}

// logRefusal records why authentication refused a request (the access log
// has only the code). Causes never hold a token or key.
func logRefusal(log *slog.Logger, r *http.Request, err error) {
	switch auth.KindOf(err) {
	case auth.KindUnauthorized, auth.KindForbidden:
		log.LogAttrs(r.Context(), slog.LevelInfo, "authentication refused",
			slog.String("id", requestID(r)), slog.String("error", err.Error()))
	}
}
