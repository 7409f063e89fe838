// Package api is the signer's HTTP interface: JSON in and out, every route
// listed in routes.go, handlers built from their dependencies, and one
// function (Status) that maps error codes to HTTP statuses.
//
// A request takes a short path: decode, validate, build the key, presign,
// encode. No network call is made on it (credentials come from a cache), and
// nothing is logged that holds a URL, signature or token.
package api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/s3presign/s3presign/signer/internal/auth"
	"github.com/s3presign/s3presign/signer/internal/creds"
	"github.com/s3presign/s3presign/signer/internal/metrics"
	"github.com/s3presign/s3presign/signer/internal/objectkey"
	"github.com/s3presign/s3presign/signer/internal/presign"
	"github.com/s3presign/s3presign/signer/internal/rules"
	"github.com/s3presign/s3presign/signer/internal/scan"
	"github.com/s3presign/s3presign/signer/internal/uploadtoken"
)

// Deps are everything the handlers need. The first five and Auth are
// required.
type Deps struct {
	// Presigner signs URLs for the bucket.
	Presigner *presign.Presigner
	// Creds hands out the signing credentials.
	Creds *creds.Source
	// Clock is the signing time source (time.Now in production).
	Clock func() time.Time
	// Rules are the upload rules and limits.
	Rules *rules.Rules
	// Keys builds object keys under the configured prefix.
	Keys *objectkey.Builder
	// Logger receives errors and other events; nil discards them.
	Logger *slog.Logger
	// RequestLog receives each request's one line: its access fields and,
	// when it issued a URL, its audit fields. Nil discards them.
	RequestLog *RequestLog
	// TrustedProxyHops is the number of proxies in front of the signer that
	// append to X-Forwarded-For; request lines name the client IP it gives
	// (see auth.ClientIP).
	TrustedProxyHops int

	// CORSOrigins are the page origins allowed to call the signer.
	CORSOrigins []string
	// Compat serves the original server's GET routes.
	Compat bool
	// CompatRefuseOverwrite makes compat upload URLs sign If-None-Match: *.
	CompatRefuseOverwrite bool
	// CompatRefuseUnsized refuses compat uploads without the size
	// parameter, so that every compat URL is capped by a signed
	// Content-Length.
	CompatRefuseUnsized bool

	// Auth authenticates every URL-issuing route (not the health routes):
	// the caller comes from the request context (auth.FromContext), and a
	// request that did not pass the middleware gets no URL. auth.None serves
	// every request as the anonymous caller.
	Auth auth.Authenticator
	// Limiter, when set with Auth, rate-limits each caller and each client
	// IP's failed authentications.
	Limiter *auth.Limiter
	// SharedPrefixes lists, by caller name, whole key prefixes the caller may
	// also get download URLs for, besides its own.
	SharedPrefixes map[string][]string

	// Store, when set with Tokens, serves the multipart routes (v1 and
	// Uppy): it starts, lists, completes and aborts uploads in S3.
	Store ObjectStore
	// Tokens signs and checks the tokens that bind a multipart upload to
	// its key, caller and size.
	Tokens *uploadtoken.Signer
	// Multipart are the multipart limits; checked by New when Store is set.
	Multipart rules.Multipart

	// Metrics, when set, records every request (route, code, latency) and
	// every issued URL; nil turns metrics off at no cost.
	Metrics *metrics.Registry
	// Scan, when set, makes the download routes check the object's malware
	// scan result first (see checkScan).
	Scan *scan.Checker
	// Head, when set, serves POST /v1/uploads/status (an object's size, type
	// and scan state, never a URL).
	Head ObjectHeader
}

// New returns the signer's HTTP handler, middleware included.
func New(d Deps) (http.Handler, error) {
	var errs []error
	if d.Presigner == nil {
		errs = append(errs, errors.New("api: Presigner is required"))
	}
	if d.Creds == nil {
		errs = append(errs, errors.New("api: Creds is required"))
	}
	if d.Clock == nil {
		errs = append(errs, errors.New("api: Clock is required"))
	}
	if d.Rules == nil {
		errs = append(errs, errors.New("api: Rules is required"))
	}
	if d.Keys == nil {
		errs = append(errs, errors.New("api: Keys is required"))
	}
	if d.Auth == nil {
		errs = append(errs, errors.New("api: Auth is required (auth.None serves anonymous callers)"))
	}
	if d.Store != nil {
		if d.Tokens == nil {
			errs = append(errs, errors.New("api: Tokens is required with Store"))
		}
		if d.Rules != nil {
			if err := d.Multipart.Validate(d.Rules.Limits().MaxSize); err != nil {
				errs = append(errs, fmt.Errorf("api: Multipart: %w", err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.RequestLog == nil {
		d.RequestLog = NewRequestLog(io.Discard, slog.LevelInfo)
	}
	mux := http.NewServeMux()
	addRoutes(mux, &d)
	var h http.Handler = notePattern(mux)
	h = cors(d.CORSOrigins)(h)
	h = recoverPanics(d.Logger)(h)
	if d.Metrics != nil {
		h = measure(d.Metrics)(h)
	}
	h = observe(d.RequestLog, d.Presigner.Bucket(), d.TrustedProxyHops)(h)
	return h, nil
}
