// Package rules holds the upload rules the signer enforces: which content
// types (and so which file extensions) are allowed, how large an object may
// be, and how long an issued URL may live.
//
// Every function is pure: inputs, the injected clock value and the
// credentials' expiry in, a decision out. Refusals are *apierr.Error values whose
// Code is one of the API's stable error codes.
package rules

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

func refuse(code, format string, args ...any) error {
	return apierr.New(code, format, args...)
}

// Hard limits that no configuration can raise.
const (
	// MaxPutSize is the largest object S3 accepts in one PUT (5 GiB).
	MaxPutSize int64 = 5 << 30
	// MaxLifetime is the longest lifetime SigV4 allows (7 days).
	MaxLifetime = 7 * 24 * time.Hour
	// CredentialMargin is kept between a URL's expiry and the expiry of the
	// credentials that signed it.
	CredentialMargin = time.Minute
	// MinLifetime is the shortest lifetime worth issuing; when the
	// credentials leave less than this, the signer refuses with
	// "unavailable" rather than issue a URL that dies in flight.
	MinLifetime = 30 * time.Second
)

// Limits are the configurable size and lifetime limits.
type Limits struct {
	// MaxSize is the largest declared size accepted, in bytes (1..MaxPutSize).
	MaxSize int64
	// DefaultExpiry is the lifetime when the client asks for none.
	DefaultExpiry time.Duration
	// MaxExpiry is the longest lifetime issued (DefaultExpiry..MaxLifetime).
	MaxExpiry time.Duration
}

// Validate reports every problem with the limits.
func (l Limits) Validate() error {
	var errs []error
	if l.MaxSize < 1 || l.MaxSize > MaxPutSize {
		errs = append(errs, fmt.Errorf("max size %d is outside 1..%d bytes", l.MaxSize, MaxPutSize))
	}
	if l.DefaultExpiry < time.Second || l.DefaultExpiry%time.Second != 0 {
		errs = append(errs, fmt.Errorf("default expiry %s must be whole seconds, at least 1s", l.DefaultExpiry))
	}
	if l.MaxExpiry < time.Second || l.MaxExpiry%time.Second != 0 || l.MaxExpiry > MaxLifetime {
		errs = append(errs, fmt.Errorf("max expiry %s must be whole seconds within 1s..%s", l.MaxExpiry, MaxLifetime))
	}
	if l.DefaultExpiry > l.MaxExpiry {
		errs = append(errs, fmt.Errorf("default expiry %s is above max expiry %s", l.DefaultExpiry, l.MaxExpiry))
	}
	return errors.Join(errs...)
}

// Rules decides what may be uploaded and for how long URLs live. It is
// immutable and safe for concurrent use.
type Rules struct {
	byType map[string][]string // content type -> extensions (lower case)
	byExt  map[string]string   // extension -> content type
	types  []Type
	limits Limits
}

// New builds Rules from the allowed types and the limits, reporting every
// problem at once.
func New(types []Type, limits Limits) (*Rules, error) {
	var errs []error
	if len(types) == 0 {
		errs = append(errs, errors.New("no content type is allowed"))
	}
	r := &Rules{byType: map[string][]string{}, byExt: map[string]string{}, limits: limits}
	for _, t := range types {
		if err := t.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := r.byType[t.Type]; dup {
			errs = append(errs, fmt.Errorf("content type %q is listed twice", t.Type))
			continue
		}
		for _, ext := range t.Extensions {
			if other, dup := r.byExt[ext]; dup {
				errs = append(errs, fmt.Errorf("extension %q belongs to both %q and %q", ext, other, t.Type))
				continue
			}
			r.byExt[ext] = t.Type
		}
		r.byType[t.Type] = t.Extensions
		r.types = append(r.types, t)
	}
	if err := limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// Types returns the allowed types in configuration order.
func (r *Rules) Types() []Type { return append([]Type(nil), r.types...) }

// Limits returns the configured limits.
func (r *Rules) Limits() Limits { return r.limits }

// ContentType checks that ct is an allowed content type and returns its
// canonical (lower-case) form, which is the value that is signed and that the
// client must send. Parameters (";charset=...") are not accepted.
func (r *Rules) ContentType(ct string) (string, error) {
	if ct == "" {
		return "", refuse(apierr.Invalid, "contentType is required")
	}
	canon := lowerASCII(ct)
	if _, ok := r.byType[canon]; ok {
		return canon, nil
	}
	return "", refuse(apierr.MediaType, "contentType %q is not allowed", clip(ct))
}

// MatchName checks that the extension of the file name (after its last dot,
// compared case-insensitively) is one of the extensions of the allowed
// content type ct (canonical form, from ContentType).
func (r *Rules) MatchName(ct, name string) error {
	ext := Extension(name)
	exts := r.byType[ct]
	if ext == "" {
		return refuse(apierr.Invalid, "fileName must end in an extension for %s (.%s)", ct, strings.Join(exts, ", ."))
	}
	for _, e := range exts {
		if e == ext {
			return nil
		}
	}
	return refuse(apierr.Invalid, "fileName extension .%s does not match contentType %s (.%s)", clip(ext), ct, strings.Join(exts, ", ."))
}

// ExtensionType returns the allowed content type of an extension (compared
// case-insensitively).
func (r *Rules) ExtensionType(ext string) (string, error) {
	if ext == "" {
		return "", refuse(apierr.Invalid, "extension is required")
	}
	if ct, ok := r.byExt[lowerASCII(ext)]; ok {
		return ct, nil
	}
	return "", refuse(apierr.MediaType, "extension %q is not allowed", clip(ext))
}

// CompatType resolves the compat route's mediaType and extension to the
// content type to sign. mediaType is either a top-level type ("image") or a
// full type ("image/png"); either way it must agree with the extension's type,
// and that type must be allowed.
func (r *Rules) CompatType(mediaType, ext string) (string, error) {
	ct, err := r.ExtensionType(ext)
	if err != nil {
		return "", err
	}
	if mediaType == "" {
		return "", refuse(apierr.Invalid, "mediaType is required")
	}
	mt := lowerASCII(mediaType)
	if strings.Contains(mt, "/") {
		if mt != ct {
			return "", refuse(apierr.Invalid, "mediaType %q does not match extension %q (%s)", clip(mediaType), clip(ext), ct)
		}
		return ct, nil
	}
	if top, _, _ := strings.Cut(ct, "/"); top != mt {
		return "", refuse(apierr.Invalid, "mediaType %q does not match extension %q (%s)", clip(mediaType), clip(ext), ct)
	}
	return ct, nil
}

// CheckSize checks a declared object size in bytes.
func (r *Rules) CheckSize(size int64) error {
	if size < 1 {
		return refuse(apierr.Invalid, "size must be at least 1 byte")
	}
	if size > r.limits.MaxSize {
		return refuse(apierr.TooLarge, "size %d is above the limit of %d bytes", size, r.limits.MaxSize)
	}
	return nil
}

// Lifetime decides the lifetime of a URL signed at now. requested is what the
// client asked for (0: the default); it is clamped to the configured maximum.
// When the credentials can expire (credsExpire is non-zero), the URL must end
// CredentialMargin before them; if that leaves less than MinLifetime, the
// result is an "unavailable" error. The result is in whole seconds.
func (r *Rules) Lifetime(requested time.Duration, now, credsExpire time.Time) (time.Duration, error) {
	if requested < 0 {
		return 0, refuse(apierr.Invalid, "expiresIn must be positive")
	}
	d := requested
	if d == 0 {
		d = r.limits.DefaultExpiry
	}
	d = min(d, r.limits.MaxExpiry)
	if !credsExpire.IsZero() {
		left := credsExpire.Sub(now) - CredentialMargin
		if left < MinLifetime {
			return 0, refuse(apierr.Unavailable, "signing credentials are about to expire; try again shortly")
		}
		d = min(d, left)
	}
	d = d.Truncate(time.Second)
	if d < time.Second {
		d = time.Second
	}
	return d, nil
}

// ActiveName reports whether a file or key named name may hold active
// content: its extension belongs to an allowed active type, or is the usual
// extension of one. Such downloads are served as attachments.
func (r *Rules) ActiveName(name string) bool {
	ext := Extension(name)
	if ext == "" {
		return false
	}
	if ct, ok := r.byExt[ext]; ok && IsActive(ct) {
		return true
	}
	for _, e := range activeExtensions {
		if e == ext {
			return true
		}
	}
	return false
}

// Extension returns the lower-case extension of a file name: the text after
// its last dot, or "" when there is none (or the name ends in a dot).
func Extension(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return ""
	}
	return lowerASCII(name[i+1:])
}

// lowerASCII lower-cases ASCII letters only, without allocating when the
// input is already lower case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// clip shortens client input quoted in messages.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
