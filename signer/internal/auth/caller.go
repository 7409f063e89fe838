package auth

import (
	"context"
	"net/http"

	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

// Caller is who a request comes from, as established by an Authenticator.
type Caller struct {
	// Name names the caller and becomes a key-prefix segment ("<caller>/").
	// It matches authconfig.NameGrammar, or is empty for the anonymous caller
	// (mode none), who gets no caller prefix.
	Name string
	// Limit overrides the default rate limit for this caller; zero fields keep
	// the default. Set from the caller's API-key line.
	Limit authconfig.Limit
}

// Anonymous reports whether c is the anonymous caller of mode none.
func (c Caller) Anonymous() bool { return c.Name == "" }

// Prefix returns the caller's key-prefix segment: "<name>/", or "" for the
// anonymous caller.
func (c Caller) Prefix() string {
	if c.Name == "" {
		return ""
	}
	return c.Name + "/"
}

type callerKey struct{}

// WithCaller returns a copy of ctx that carries c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// FromContext returns the caller the authentication middleware stored in ctx.
// ok is false when none was stored: a handler that needs a caller must then
// fail (internal error), never fall back to anonymous.
func FromContext(ctx context.Context) (c Caller, ok bool) {
	c, ok = ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// CallerName returns the name of the caller stored in r's context, "" for
// the anonymous caller. It fits api.Deps.Caller. Only use it on routes behind
// Middleware: with no caller stored it also returns "".
func CallerName(r *http.Request) string {
	c, _ := FromContext(r.Context())
	return c.Name
}
