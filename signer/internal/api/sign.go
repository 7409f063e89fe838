package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/auth"
	"github.com/s3presign/s3presign/signer/internal/creds"
	"github.com/s3presign/s3presign/signer/internal/presign"
	"github.com/s3presign/s3presign/signer/internal/rules"
)

// sign presigns req at the injected clock's time with the current
// credentials. requested is the lifetime the client asked for (0: default);
// the lifetime used is clamped by the rules and the credentials' expiry. It
// returns the URL and when it expires.
func (d *Deps) sign(r *http.Request, req presign.Request, requested time.Duration) (string, time.Time, error) {
	c, now, life, err := d.signingLifetime(r, requested)
	if err != nil {
		return "", time.Time{}, err
	}
	req.Expires = life
	u, err := d.Presigner.Presign(c, now, req)
	if err != nil {
		// Every input was validated first, so this is our fault.
		return "", time.Time{}, fmt.Errorf("presign: %w", err)
	}
	// X-Amz-Date is now in whole seconds; the URL dies life after it.
	return u, now.UTC().Truncate(time.Second).Add(life), nil
}

// signingLifetime returns the current credentials, the injected clock's
// now and the lifetime to sign for: requested (0: default) clamped by the
// rules and the credentials' expiry. Presigned URLs and POST policies both
// use it.
func (d *Deps) signingLifetime(r *http.Request, requested time.Duration) (aws.Credentials, time.Time, time.Duration, error) {
	now := d.Clock()
	c, err := d.Creds.Retrieve(r.Context(), now)
	if err != nil {
		return aws.Credentials{}, time.Time{}, 0, err
	}
	life, err := d.Rules.Lifetime(requested, now, creds.Expiry(c))
	if err != nil {
		return aws.Credentials{}, time.Time{}, 0, err
	}
	return c, now, life, nil
}

// scope returns the key prefix of the request's caller. A caller name the
// key grammar cannot hold is a server-side fault (auth produced it).
func (d *Deps) scope(r *http.Request) (caller, scope string, err error) {
	c, ok := auth.FromContext(r.Context())
	if !ok {
		// A route wired without the middleware issues nothing rather than
		// acting as the anonymous caller.
		return "", "", fmt.Errorf("route %q is not behind the authentication middleware: no URL issued", r.Pattern)
	}
	caller = c.Name
	scope, err = d.Keys.Scope(caller)
	if err != nil {
		return "", "", fmt.Errorf("caller %q cannot be used in keys: %v", caller, err)
	}
	return caller, scope, nil
}

// expiresIn converts the optional expiresIn field (seconds) to a requested
// lifetime: nil is the default (0); values above the SigV4 maximum are
// clamped, as the rules clamp them further.
func expiresIn(v *int64) (time.Duration, error) {
	if v == nil {
		return 0, nil
	}
	if *v < 1 {
		return 0, &apierr.Error{Code: apierr.Invalid, Message: "expiresIn must be a positive number of seconds"}
	}
	if *v > int64(rules.MaxLifetime/time.Second) {
		return rules.MaxLifetime, nil
	}
	return time.Duration(*v) * time.Second, nil
}
