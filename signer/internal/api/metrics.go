package api

import (
	"net/http"
	"time"

	"github.com/s3presign/s3presign/signer/internal/auth"
	"github.com/s3presign/s3presign/signer/internal/metrics"
)

// routePreflight names CORS preflights in the access log and metrics: the
// cors middleware answers them before any route matches.
const routePreflight = "OPTIONS (CORS preflight)"

// measure records every request in m once it is answered: the route pattern
// that matched (never the path), the error code answered, the caller (when
// authentication named one) and the time taken. It reads what the access
// log middleware (observe) collected, so it must run inside observe. The
// cost is one clock read and a few atomic adds; nothing is written per
// request (m is flushed periodically).
func measure(m *metrics.Registry) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			next.ServeHTTP(w, r)
			x := exchangeOf(r)
			if x == nil {
				return
			}
			route := x.pattern
			m.Observe(metrics.Observation{
				Route:    route,
				Code:     x.code,
				Duration: time.Since(start),
				Caller:   x.caller,
				Probe:    route == routeHealthz || route == routeReadyz,
			})
		})
	}
}

// noteCaller records the authenticated caller in the request's exchange, so
// that metrics can count a refusal (such as rate_limited) under its caller.
// It goes right after the authentication middleware.
func noteCaller(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if x := exchangeOf(r); x != nil {
			if c, ok := auth.FromContext(r.Context()); ok {
				x.caller = c.Name
			}
		}
		next.ServeHTTP(w, r)
	})
}

// issued counts one answer that handed out URLs for operation op.
func (d *Deps) issued(op, caller string) {
	if d.Metrics != nil {
		d.Metrics.Issued(op, caller)
	}
}
