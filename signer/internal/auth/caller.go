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

// CallerSlotKey is the context key of a *CallerSlot.
type CallerSlotKey struct{}

// CallerSlot is a place in a request's context that Middleware fills with the
// caller, instead of deriving a new context and copying the request (three
// allocations per request). A server that follows each request with its own
// context value answers ctx.Value(CallerSlotKey{}) with its request's slot;
// the zero slot holds no caller.
type CallerSlot struct {
	c   Caller
	set bool
}

// FromContext returns the caller the authentication middleware stored in ctx.
// ok is false when none was stored: a handler that needs a caller must then
// fail (internal error), never fall back to anonymous.
func FromContext(ctx context.Context) (c Caller, ok bool) {
	if c, ok = ctx.Value(callerKey{}).(Caller); ok {
		return c, true
	}
	if s, _ := ctx.Value(CallerSlotKey{}).(*CallerSlot); s != nil && s.set {
		return s.c, true
	}
	return Caller{}, false
}

// withCaller returns r carrying c: in r's caller slot when its context has
// one, else in a derived context.
func withCaller(r *http.Request, c Caller) *http.Request {
	if s, _ := r.Context().Value(CallerSlotKey{}).(*CallerSlot); s != nil {
		s.c, s.set = c, true
		return r
	}
	return r.WithContext(WithCaller(r.Context(), c))
}
