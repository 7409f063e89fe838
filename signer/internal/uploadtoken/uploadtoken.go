// Package uploadtoken binds a multipart upload to the key, caller and size
// the signer issued it for, so that a client cannot sign parts for, list,
// complete or abort an upload it was not given.
//
// A token is two base64url (unpadded) strings joined by a dot:
//
//	token   = payload "." mac
//	payload = version(1 byte, 1) uvarint(expiry, Unix seconds)
//	          uvarint(size) uvarint(partSize) key
//	mac     = HMAC-SHA256(secret, domain || lp(uploadId) || lp(caller) || payload)
//
// where lp(s) is uvarint(len(s)) followed by s, and domain is a fixed label
// naming this use of the secret. The payload carries what the signer needs
// later (the key, the declared size, the part size and the expiry); the
// upload id and the caller are not carried but bound: they come from the
// request path and the authenticated request, so a token presented with
// another upload id or by another caller fails the MAC check. Nothing in a
// token is secret; it cannot be forged without the secret.
package uploadtoken

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// MinKeyBytes is the shortest secret New accepts.
const MinKeyBytes = 32

// MaxTokenBytes bounds the tokens Verify reads (a 1024-byte key fits easily).
const MaxTokenBytes = 2048

const (
	version = 1
	domain  = "s3presign multipart upload token v1\x00"
)

// enc is strict: a string with non-zero padding bits (another spelling of
// the same bytes) is not a token.
var enc = base64.RawURLEncoding.Strict()

var (
	errMalformed = &apierr.Error{Code: apierr.Invalid, Message: "token is malformed"}
	errMismatch  = &apierr.Error{Code: apierr.Forbidden, Message: "token does not match this upload and caller"}
	errExpired   = &apierr.Error{Code: apierr.Forbidden, Message: "token has expired; start a new upload"}
)

// IsMalformed reports whether err is Verify's answer to a string that is not
// a token at all (as opposed to a token that does not match or has expired).
func IsMalformed(err error) bool { return errors.Is(err, errMalformed) }

// Claims are what a token binds.
type Claims struct {
	// UploadID is S3's id of the multipart upload (bound, not carried).
	UploadID string
	// Caller names the authenticated caller, "" for none (bound, not carried).
	Caller string
	// Key is the object key.
	Key string
	// Size is the declared object size in bytes; 0 when none was declared.
	Size int64
	// PartSize is the part size in bytes the upload was started with; 0
	// when the client chooses it.
	PartSize int64
	// Expires is when the token stops being accepted (whole seconds).
	Expires time.Time
}

// Signer issues and checks tokens with one secret. It is safe for
// concurrent use.
type Signer struct {
	pool sync.Pool // hash.Hash keyed with the secret
}

// New returns a Signer for secret, which must hold at least MinKeyBytes
// bytes. The secret is copied.
func New(secret []byte) (*Signer, error) {
	if len(secret) < MinKeyBytes {
		return nil, fmt.Errorf("uploadtoken: secret has %d bytes, want at least %d", len(secret), MinKeyBytes)
	}
	key := append([]byte(nil), secret...)
	s := &Signer{}
	s.pool.New = func() any { return hmac.New(sha256.New, key) }
	return s, nil
}

// NewRandom returns a Signer with a random secret: its tokens die with the
// process.
func NewRandom() (*Signer, error) {
	secret := make([]byte, MinKeyBytes)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("uploadtoken: random secret: %w", err)
	}
	return New(secret)
}

// Sign returns the token for c. The key must be valid UTF-8 (every key the
// signer builds is), sizes non-negative.
func (s *Signer) Sign(c Claims) string {
	payload := appendPayload(make([]byte, 0, 1+3*binary.MaxVarintLen64+len(c.Key)), c)
	mac := s.mac(domain, c.UploadID, c.Caller, payload)
	var b strings.Builder
	b.Grow(enc.EncodedLen(len(payload)) + 1 + enc.EncodedLen(len(mac)))
	b.WriteString(enc.EncodeToString(payload))
	b.WriteByte('.')
	b.WriteString(enc.EncodeToString(mac))
	return b.String()
}

// Verify checks token for the upload id and caller of the request at now and
// returns its claims. Every failure is an *apierr.Error: invalid_request when token
// is not a token, forbidden when it was issued for another upload, key or
// caller, was forged or has expired.
func (s *Signer) Verify(token, uploadID, caller string, now time.Time) (Claims, error) {
	// base64 decoding skips CR and LF even in strict mode: refuse them, so
	// that a token has one spelling.
	if token == "" || len(token) > MaxTokenBytes || strings.ContainsAny(token, "\r\n") {
		return Claims{}, errMalformed
	}
	p64, m64, ok := strings.Cut(token, ".")
	if !ok {
		return Claims{}, errMalformed
	}
	payload, err := enc.DecodeString(p64)
	if err != nil {
		return Claims{}, errMalformed
	}
	mac, err := enc.DecodeString(m64)
	if err != nil || len(mac) != sha256.Size {
		return Claims{}, errMalformed
	}
	if !hmac.Equal(mac, s.mac(domain, uploadID, caller, payload)) {
		return Claims{}, errMismatch
	}
	c, ok := parsePayload(payload)
	if !ok {
		// A payload we signed always parses: a guard only.
		return Claims{}, errMalformed
	}
	c.UploadID, c.Caller = uploadID, caller
	if !now.Before(c.Expires) {
		return Claims{}, errExpired
	}
	return c, nil
}

// mac is the HMAC of payload for one use of the secret (dom), binding
// uploadID and caller.
func (s *Signer) mac(dom, uploadID, caller string, payload []byte) []byte {
	h := s.pool.Get().(hash.Hash)
	defer s.pool.Put(h)
	h.Reset()
	var n [binary.MaxVarintLen64]byte
	h.Write([]byte(dom))
	h.Write(binary.AppendUvarint(n[:0], uint64(len(uploadID))))
	h.Write([]byte(uploadID))
	h.Write(binary.AppendUvarint(n[:0], uint64(len(caller))))
	h.Write([]byte(caller))
	h.Write(payload)
	return h.Sum(nil)
}

func appendPayload(b []byte, c Claims) []byte {
	b = append(b, version)
	b = binary.AppendUvarint(b, uint64(max(c.Expires.Unix(), 0)))
	b = binary.AppendUvarint(b, uint64(max(c.Size, 0)))
	b = binary.AppendUvarint(b, uint64(max(c.PartSize, 0)))
	return append(b, c.Key...)
}

func parsePayload(b []byte) (Claims, bool) {
	if len(b) == 0 || b[0] != version {
		return Claims{}, false
	}
	b = b[1:]
	var v [3]uint64
	for i := range v {
		n, l := binary.Uvarint(b)
		if l <= 0 || n > 1<<62 {
			return Claims{}, false
		}
		v[i], b = n, b[l:]
	}
	if len(b) == 0 || !utf8.Valid(b) {
		return Claims{}, false
	}
	return Claims{Key: string(b), Expires: time.Unix(int64(v[0]), 0).UTC(), Size: int64(v[1]), PartSize: int64(v[2])}, true
}
