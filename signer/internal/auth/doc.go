// Package auth decides who may get URLs from the signer, and how often:
// authentication (modes none, apikey and oidc), per-caller and per-client-IP
// rate limits, and the guard (SafeKey) on the key an audit line names.
//
// # Integration
//
// The API builds an Authenticator with New (settings parsed and validated by
// package authconfig from signer/config), a Limiter with NewLimiter, and
// wraps the routes that issue URLs (never the health routes) as
//
//	auth.Middleware(a, lim, writeError)(auth.RateLimit(lim, writeError)(h))
//
// where writeError is the API's one error writer: it calls SetHeaders and maps
// the refusal's apierr code (Unauthorized, Forbidden, RateLimited,
// Unavailable) to 401, 403, 429 and 503. Handlers read the caller with
// FromContext; the API's request log writes each issued URL's audit fields.
//
// # Library choice
//
// JWS verification and claim checks use github.com/golang-jwt/jwt/v5: an
// explicit allow-list of algorithms (checked before any key is looked up, so
// "none" and HS256 never reach a key), exact iss, aud, required exp, nbf with a
// configurable leeway, an injectable clock and errors that wrap with %w.
// Token-header "jku", "x5u" and "jwk" are never followed; "crit" is refused.
//
// The JWKS cache (jwks.go) is ours, on the standard library, because neither
// candidate gives the behaviour this service needs:
//   - github.com/coreos/go-oidc/v3's RemoteKeySet refetches on every unknown
//     kid with no rate bound (each forged kid costs the issuer a request),
//     formats fetch errors with %v so "JWKS down" cannot be told from "bad
//     token" (we need 503 vs 401), fixes leeway (0 on exp, 5 min on nbf) and
//     pulls in golang.org/x/oauth2.
//   - github.com/MicahParks/keyfunc/v3 (with jwkset) rate-limits by blocking
//     the request in rate.Limiter.Wait, reports a failed refetch and a truly
//     unknown kid as the same ErrKeyNotFound, runs a background refresh
//     goroutine on the real clock, and does no discovery.
//
// The cache is small and fully tested: at most one fetch per RefetchInterval
// whatever the number of unknown kids, one shared fetch for concurrent
// requests, cached keys kept while the JWKS is down, unknown kid -> 503 when
// the latest fetch failed and 401 when it succeeded. JWKs are parsed with the
// standard library (RSA 2048..8192 bits with an odd exponent, EC P-256/384/521
// points checked by ecdsa.ParseUncompressedPublicKey); other keys are skipped.
//
// Rate limits use golang.org/x/time/rate token buckets, charged with
// AllowN(now, 1) on an injectable clock.
package auth
