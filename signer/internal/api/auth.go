package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
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

// authenticate wraps a URL-issuing route: each request is authenticated
// first (refusals charged to the client IP's bucket when a limiter is set),
// then charged to its caller's bucket.
func (d *Deps) authenticate(h http.Handler) http.Handler {
	onError := func(w http.ResponseWriter, r *http.Request, err error) { writeError(w, r, d.Logger, err) }
	if d.Limiter != nil {
		h = auth.RateLimit(d.Limiter, onError)(h)
	}
	return auth.Middleware(d.Auth, d.Limiter, onError)(noteCaller(h))
}

// readable checks that the caller may get a download URL for key: it must
// follow the key grammar and lie under the caller's own scope, or under a
// prefix the configuration shares with the caller. Any other key is
// forbidden.
func (d *Deps) readable(key, caller, scope string) error {
	err := objectkey.Valid(key, scope)
	if apierr.CodeOf(err) != apierr.Forbidden {
		return err
	}
	if caller != "" {
		for _, p := range d.SharedPrefixes[caller] {
			if objectkey.Valid(key, p) == nil {
				return nil
			}
		}
		return &apierr.Error{Code: apierr.Forbidden, Message: fmt.Sprintf("key is not under your prefix %q or a prefix shared with you", scope)}
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
	var refusal *auth.Error
	if !errors.As(err, &refusal) {
		return
	}
	switch refusal.Code {
	case apierr.Unauthorized, apierr.Forbidden:
		log.LogAttrs(r.Context(), slog.LevelInfo, "authentication refused",
			slog.String("id", requestID(r)), slog.String("error", err.Error()))
	}
}
