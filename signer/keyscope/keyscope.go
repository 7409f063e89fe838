// Package keyscope is the caller-segment rule of the signer's key grammar,
// public so that code outside the signer (the CDK app, the local stack, a
// team's queue consumer) reads a caller back out of a key with the very
// function the signer uses to put it there:
//
//	key = prefix [caller "/"] rest
//
// In auth modes that name callers (apikey, oidc) every key the signer issues
// has the caller segment; in mode none no key has one. So a key alone does
// not say whether its first segment is a caller: the reader passes the mode
// (Named).
package keyscope

import (
	"strings"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// MaxCallerBytes is the longest caller name in bytes.
const MaxCallerBytes = 64

// callerChars are the characters a caller name may hold besides A-Z a-z 0-9.
const callerChars = "._-@+="

// CheckCaller checks a caller name used as a key segment: 1 to
// MaxCallerBytes of A-Z a-z 0-9 . _ - @ + =, and not "." nor holding "..".
// It refuses with an invalid_request error, so the signer can answer with it.
func CheckCaller(caller string) error {
	if caller == "" || len(caller) > MaxCallerBytes {
		return apierr.New(apierr.Invalid, "caller name must be 1..%d bytes", MaxCallerBytes)
	}
	for i := 0; i < len(caller); i++ {
		c := caller[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(callerChars, c) >= 0) {
			return apierr.New(apierr.Invalid, "caller name may hold only A-Z a-z 0-9 . _ - @ + =")
		}
	}
	if caller == "." || strings.Contains(caller, "..") {
		return apierr.New(apierr.Invalid, "caller name must not contain \"..\" or be \".\"")
	}
	return nil
}

// Scope returns the prefix a caller's keys live under: prefix + caller + "/",
// or prefix alone for the anonymous caller (""). The caller must pass
// CheckCaller; prefix is the configured key prefix (ending in "/").
func Scope(prefix, caller string) (string, error) {
	if caller == "" {
		return prefix, nil
	}
	if err := CheckCaller(caller); err != nil {
		return "", err
	}
	return prefix + caller + "/", nil
}

// Caller reads the caller back out of key, the inverse of Scope: with named
// (auth modes apikey and oidc) it is the first segment after prefix, which
// must pass CheckCaller and be followed by at least one more segment; without
// named (mode none) it is "". A key outside prefix is an error.
func Caller(key, prefix string, named bool) (string, error) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok || prefix == "" {
		return "", apierr.New(apierr.Forbidden, "key is outside the prefix %q", prefix)
	}
	if !named {
		return "", nil
	}
	caller, tail, ok := strings.Cut(rest, "/")
	if !ok || tail == "" {
		return "", apierr.New(apierr.Invalid, "key has no caller segment under the prefix %q", prefix)
	}
	if err := CheckCaller(caller); err != nil {
		return "", err
	}
	return caller, nil
}
