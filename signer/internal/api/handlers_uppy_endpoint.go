package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/s3presign/s3presign/signer/internal/auth"
)

// Caller-bound Uppy endpoints. @uppy/aws-s3 in Companion mode sends plain
// requests to <companionEndpoint>/s3/... with no Authorization header, so
// with apikey or oidc the plain /s3/* routes refuse it. Instead of a proxy,
// the page mints an endpoint with its usual credentials:
//
//	POST /v1/uppy {expiresIn?}  ->  201 {companionEndpoint: <base>/uppy/<token>, path, expiresAt}
//
// and gives it to unchanged Uppy. The token (uploadtoken.SignEndpoint) names
// the caller and an expiry of at most the URL lifetime setting, under an
// HMAC; the /uppy/{token}/s3/* routes verify it, act as that caller (keys,
// rate limit, audit) and then behave exactly as /s3/*. Every cap stays on
// the server: names, types, part numbers, and the sizes checked at
// completion. A tampered or expired token gets 403 before anything else; a
// multipart upload started by another caller stays bound to that caller.
// The access log and metrics name the route pattern, never the path, so the
// token is not logged.

// uppyEndpointRequest is the body of POST /v1/uppy.
type uppyEndpointRequest struct {
	ExpiresIn *int64 // optional; requested lifetime in seconds
}

func (q *uppyEndpointRequest) fields() []field {
	return []field{{"expiresIn", &q.ExpiresIn}}
}

// uppyEndpointResponse is the answer of POST /v1/uppy.
type uppyEndpointResponse struct {
	// CompanionEndpoint is what the page passes to @uppy/aws-s3.
	CompanionEndpoint string `json:"companionEndpoint"`
	// Path is the same endpoint without scheme and host, for a page that
	// knows the signer's public URL better than the request's Host does.
	Path      string    `json:"path"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// uppyEndpointPrefix starts every caller-bound endpoint's path.
const uppyEndpointPrefix = "/uppy/"

// handleUppyEndpoint mints a caller-bound Companion endpoint for the
// authenticated caller. Its lifetime is expiresIn (default: the default
// URL lifetime), clamped to the maximum URL lifetime.
func handleUppyEndpoint(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var q uppyEndpointRequest
		if err := decodeObject(r, q.fields()); err != nil {
			return err
		}
		requested, err := expiresIn(q.ExpiresIn)
		if err != nil {
			return err
		}
		now := d.Clock()
		life, err := d.Rules.Lifetime(requested, now, time.Time{})
		if err != nil {
			return err
		}
		caller, _, err := d.scope(r)
		if err != nil {
			return err
		}
		exp := now.Add(life).Truncate(time.Second)
		path := uppyEndpointPrefix + d.Tokens.SignEndpoint(caller, exp)
		writeJSON(w, http.StatusCreated, &uppyEndpointResponse{
			CompanionEndpoint: requestBase(r) + path, Path: path, ExpiresAt: exp.UTC(),
		})
		return nil
	})
}

// requestBase is scheme://host of the signer as this request reached it.
// X-Forwarded-Proto (set by the load balancer) only shapes the answer to the
// caller who sent it, so trusting it harms no one else.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// endpointAuth admits a request on /uppy/{token}/s3/... as the caller its
// token names: it verifies the token (403 when forged, altered or expired;
// each refusal charged to the client IP's bucket like a failed login), puts
// the caller in the context as the authentication middleware does, then
// charges the caller's rate-limit bucket.
func (d *Deps) endpointAuth(h http.Handler) http.Handler {
	onError := func(w http.ResponseWriter, r *http.Request, err error) { writeError(w, r, d.Logger, err) }
	if d.Limiter != nil {
		h = auth.RateLimit(d.Limiter, onError)(h)
	}
	h = noteCaller(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, _, err := d.Tokens.VerifyEndpoint(r.PathValue("token"), d.Clock())
		if err != nil {
			if d.Limiter != nil {
				if lerr := d.Limiter.AllowIP(r); lerr != nil {
					onError(w, r, lerr)
					return
				}
			}
			onError(w, r, err)
			return
		}
		h.ServeHTTP(w, r.WithContext(auth.WithCaller(r.Context(), auth.Caller{Name: caller})))
	})
}

// uppyEndpointReady reports whether caller-bound endpoints can be served:
// they need the token secret, which names the caller that endpointAuth puts
// in the context in the authentication middleware's stead.
func (d *Deps) uppyEndpointReady() bool { return d.Tokens != nil }
