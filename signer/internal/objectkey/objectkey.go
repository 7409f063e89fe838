// Package objectkey checks file names and builds the object keys the signer
// issues URLs for. It owns the key grammar.
//
// # File names
//
// A file name is accepted as it is or refused; it is never rewritten. A
// rewrite would make two names share a key, and would break the compat
// routes' promise that fileName.extension reads back what it wrote. A name is
// refused unless all of these hold:
//
//   - it is valid UTF-8, 1 to 255 bytes long;
//   - every character is a letter, mark, number, punctuation, symbol or
//     ordinary space (Unicode categories L, M, N, P, S, Zs), which excludes
//     control characters (including NUL, tab and newline), format characters
//     (bidirectional overrides such as U+202E, zero-width joiners, the BOM),
//     line and paragraph separators, private-use and unassigned code points;
//   - it contains neither "/" nor "\";
//   - it does not contain ".." anywhere and is not ".";
//   - it does not start or end with a space;
//   - it does not contain "${": S3 substitutes ${filename} in a POST form's
//     key field, so such a name could write under another key than the one
//     signed, and a name that means one thing on one route and another on
//     the next is refused on every route.
//
// Key segments (see Valid) follow the same rule without the "${" check, so
// an object stored before that check can still be read.
//
// # Keys
//
// Every key the signer issues follows this grammar:
//
//	key      = prefix [caller "/"] rest
//	v1 rest  = id "/" name                  ; POST /v1/uploads
//	compat   = fileName "." extension       ; GET /signed-url-upload
//	id       = 26 characters of a-z 2-7     ; 128 random bits, base32
//
// prefix is the configured key prefix: 1 to 256 bytes, ending in "/", not
// starting with "/", each of its segments a valid name. caller, when
// authentication names one, is 1 to 64 characters of A-Z a-z 0-9 . _ - @ + =,
// a valid name too. A whole key is at most 1024 bytes (S3's limit).
//
// Valid checks the general form that downloads must have: the key starts
// with the prefix, and what follows is one or more "/"-separated segments,
// each a valid file name as above. So no key the signer signs has a ".."
// segment, an empty segment, a control character, or more than 1024 bytes.
package objectkey

import (
	"encoding/base32"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/keyscope"
)

// Limits of the key grammar.
const (
	// MaxNameBytes is the longest file name (and key segment) in bytes.
	MaxNameBytes = 255
	// MaxKeyBytes is S3's limit on the length of a key in bytes.
	MaxKeyBytes = 1024
	// MaxPrefixBytes is the longest configured key prefix in bytes.
	MaxPrefixBytes = 256
	// MaxCallerBytes is the longest caller name in bytes.
	MaxCallerBytes = keyscope.MaxCallerBytes
	// IDLen is the length of the random id in a v1 key.
	IDLen = 26
)

func invalid(format string, args ...any) error {
	return apierr.New(apierr.Invalid, format, args...)
}

// CheckName applies the file-name rule (see the package doc). what names the
// field in the message, e.g. "fileName".
func CheckName(what, name string) error {
	if err := checkSegment(what, name); err != nil {
		return err
	}
	if strings.Contains(name, "${") {
		return invalid("%s must not contain \"${\": S3 would read it as a variable of a form upload's key; rename the file", what)
	}
	return nil
}

// checkSegment applies the file-name rule without the "${" check: the rule
// for segments of keys that may already exist.
func checkSegment(what, name string) error {
	if name == "" {
		return invalid("%s is required", what)
	}
	if len(name) > MaxNameBytes {
		return invalid("%s is %d bytes long; the limit is %d bytes of UTF-8", what, len(name), MaxNameBytes)
	}
	if !utf8.ValidString(name) {
		return invalid("%s is not valid UTF-8", what)
	}
	for i, r := range name {
		switch {
		case r == '/' || r == '\\':
			return invalid("%s must not contain %q", what, r)
		case r < utf8.RuneSelf:
			// ASCII: printable characters are 0x20..0x7e.
			if r < 0x20 || r == 0x7f {
				return invalid("%s must not contain control character %U at byte %d", what, r, i)
			}
		case !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs):
			return invalid("%s must not contain character %U at byte %d (control, format, separator, private-use or unassigned)", what, r, i)
		}
	}
	if name == "." || strings.Contains(name, "..") {
		return invalid("%s must not contain \"..\" or be \".\"", what)
	}
	if first, _ := utf8.DecodeRuneInString(name); unicode.Is(unicode.Zs, first) {
		return invalid("%s must not start with a space", what)
	}
	if last, _ := utf8.DecodeLastRuneInString(name); unicode.Is(unicode.Zs, last) {
		return invalid("%s must not end with a space", what)
	}
	return nil
}

// CheckPrefix checks a configured key prefix.
func CheckPrefix(prefix string) error {
	if prefix == "" || len(prefix) > MaxPrefixBytes {
		return fmt.Errorf("key prefix must be 1..%d bytes", MaxPrefixBytes)
	}
	if !strings.HasSuffix(prefix, "/") || strings.HasPrefix(prefix, "/") {
		return fmt.Errorf("key prefix %q must end with \"/\" and not start with one", prefix)
	}
	for seg := range strings.SplitSeq(strings.TrimSuffix(prefix, "/"), "/") {
		if err := CheckName("key prefix segment", seg); err != nil {
			return fmt.Errorf("key prefix %q: %v", prefix, err)
		}
	}
	return nil
}

// CheckCaller checks a caller name used as a key segment. The rule lives in
// the public keyscope package so that event consumers outside the signer
// read callers back with the same code.
func CheckCaller(caller string) error { return keyscope.CheckCaller(caller) }

// Valid checks that key follows the key grammar under prefix: at most 1024
// bytes, starting with prefix, and the rest made of one or more "/"-separated
// segments that are each a valid file name. A key that is well formed but not
// under prefix gets a "forbidden" error; any other failure "invalid_request".
func Valid(key, prefix string) error {
	if key == "" {
		return invalid("key is required")
	}
	if len(key) > MaxKeyBytes {
		return invalid("key is %d bytes long; the limit is %d", len(key), MaxKeyBytes)
	}
	if !strings.HasPrefix(key, prefix) {
		if err := segments(key); err != nil {
			return err
		}
		return &apierr.Error{Code: apierr.Forbidden, Message: "key is outside the signer's prefix"}
	}
	return segments(key[len(prefix):])
}

func segments(rest string) error {
	if rest == "" {
		return invalid("key names no object")
	}
	for seg := range strings.SplitSeq(rest, "/") {
		if seg == "" {
			return invalid("key must not contain an empty segment")
		}
		if err := checkSegment("key segment", seg); err != nil {
			return err
		}
	}
	return nil
}

// idEncoding is lower-case base32 (RFC 4648 alphabet) without padding: 16
// random bytes become 26 characters.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID reads 16 bytes from rand and returns them as a 26-character id.
func NewID(rand io.Reader) (string, error) {
	id, err := newID(rand)
	if err != nil {
		return "", err
	}
	return string(id[:]), nil
}

// newID is NewID as an array, which a caller can concatenate without
// allocating the id's string first.
func newID(rand io.Reader) ([IDLen]byte, error) {
	var b [16]byte
	var out [IDLen]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return out, fmt.Errorf("objectkey: reading random id: %w", err)
	}
	idEncoding.Encode(out[:], b[:])
	return out, nil
}
