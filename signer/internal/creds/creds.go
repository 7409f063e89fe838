// Package creds gives the signer its AWS credentials: cheaply on every
// request, refreshed ahead of expiry, and never expired.
//
// A Source wraps an aws.CredentialsProvider in an aws.CredentialsCache whose
// expiry window is RefreshWindow: while the credentials have more than that
// left, Retrieve is an atomic load; inside the window every Retrieve asks the
// provider again (the cache coalesces concurrent calls) until it hands out
// fresh credentials. The cache reports Expires moved earlier by the window;
// Source undoes that, so callers see the credentials' true expiry and can
// clamp URL lifetimes to it.
package creds

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

const (
	// RefreshWindow is how long before expiry the credentials are refreshed.
	RefreshWindow = 10 * time.Minute
	// ReadyMargin is the least validity left for readiness: with less, the
	// signer could only issue URLs too short to be useful.
	ReadyMargin = 2 * time.Minute
	// RetrieveTimeout bounds one wait for the provider.
	RetrieveTimeout = 5 * time.Second
)

// Error is a credentials failure; its message is safe to show clients.
type Error struct {
	// Message is meant for the client.
	Message string
	// Err is the cause, for logs (it never holds secrets).
	Err error
}

// Error returns the message and the cause.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Message
	}
	return e.Message + ": " + e.Err.Error()
}

// PublicMessage returns the message without the cause.
func (e *Error) PublicMessage() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns "unavailable".
func (e *Error) ErrorCode() string { return apierr.Unavailable }

// CacheOptions sets the options a Source relies on. Pass it to
// config.WithCredentialsCacheOptions when the provider comes from
// config.LoadDefaultConfig, which already wraps it in a cache.
func CacheOptions(o *aws.CredentialsCacheOptions) {
	o.ExpiryWindow = RefreshWindow
	o.ExpiryWindowJitterFrac = 0
}

// Source hands out credentials. It is safe for concurrent use.
type Source struct {
	cache *aws.CredentialsCache
}

// New wraps p. If p is already an *aws.CredentialsCache it is used as it is,
// and must have been built with CacheOptions.
func New(p aws.CredentialsProvider) *Source {
	c, ok := p.(*aws.CredentialsCache)
	if !ok {
		c = aws.NewCredentialsCache(p, CacheOptions)
	}
	return &Source{cache: c}
}

// Retrieve returns credentials that are valid at now. Credentials that can
// expire carry their true expiry in Expires. With fresh cached credentials it
// is an atomic load; otherwise it waits for the provider at most
// RetrieveTimeout (or until ctx ends).
func (s *Source) Retrieve(ctx context.Context, now time.Time) (aws.Credentials, error) {
	// The first call cannot block: the cache returns fresh credentials at
	// once, or starts a refresh (detached from the caller's context) and
	// reports the context as cancelled. Only then is a deadline worth its
	// allocation.
	c, err := s.cache.Retrieve(cancelled)
	if err != nil {
		var rc *aws.RequestCanceledError
		if !errors.As(err, &rc) {
			return aws.Credentials{}, &Error{Message: "signing credentials are unavailable", Err: err}
		}
		ctx, cancel := context.WithTimeout(ctx, RetrieveTimeout)
		c, err = s.cache.Retrieve(ctx)
		cancel()
		if err != nil {
			return aws.Credentials{}, &Error{Message: "signing credentials are unavailable", Err: err}
		}
	}
	if !c.HasKeys() {
		return aws.Credentials{}, &Error{Message: "signing credentials are unavailable", Err: errors.New("provider returned no keys")}
	}
	if c.CanExpire {
		c.Expires = c.Expires.Add(RefreshWindow)
		if !now.Before(c.Expires) {
			return aws.Credentials{}, &Error{Message: "signing credentials have expired", Err: fmt.Errorf("expired at %s", c.Expires.UTC().Format(time.RFC3339))}
		}
	}
	return c, nil
}

// cancelled is a context that is already done.
var cancelled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// Ready reports whether credentials resolve at now and stay valid for at
// least ReadyMargin.
func (s *Source) Ready(ctx context.Context, now time.Time) error {
	c, err := s.Retrieve(ctx, now)
	if err != nil {
		return err
	}
	if c.CanExpire && c.Expires.Sub(now) < ReadyMargin {
		return &Error{Message: "signing credentials are about to expire", Err: fmt.Errorf("expire at %s", c.Expires.UTC().Format(time.RFC3339))}
	}
	return nil
}

// Expiry returns when c stops being usable: its Expires when it can expire,
// otherwise the zero time (never).
func Expiry(c aws.Credentials) time.Time {
	if c.CanExpire {
		return c.Expires
	}
	return time.Time{}
}
