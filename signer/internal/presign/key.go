package presign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding"
	"hash"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	algorithm = "AWS4-HMAC-SHA256"
	service   = "s3"
	// unsignedPayload is the payload hash of every presigned S3 request: the
	// body is not part of the signature (sign Content-Length or a checksum
	// header to bind it).
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// signingKey is the SigV4 signing key for one (credentials, day, region, s3)
// with everything derived from it that the hot path needs. It is immutable
// once published through Presigner.key.
type signingKey struct {
	accessKeyID string
	secret      string
	date        [8]byte // yyyymmdd (UTC)

	token string // session token, or ""

	scope string // yyyymmdd/region/s3/aws4_request
	// queryPrefix is the canonical query from X-Amz-Algorithm up to the
	// value of X-Amz-Date; tokenParam is "&X-Amz-Security-Token=<escaped>",
	// or empty without a token.
	queryPrefix, tokenParam string

	// inner and outer are SHA-256 states after absorbing the HMAC ipad and
	// opad blocks of the derived key, so each HMAC hashes only its message.
	inner, outer []byte
}

// stateHash is a SHA-256 hash whose state can be restored.
type stateHash interface {
	hash.Hash
	encoding.BinaryUnmarshaler
}

// signingKey returns the cached key for the credentials and day, deriving and
// caching a new one when either changed. One entry is kept: a signer uses one
// set of credentials at a time, so a day change or a credentials rotation
// costs one derivation (four HMACs) and every other call none. Comparing the
// strings is cheap: credentials handed out by one aws.CredentialsCache share
// their backing memory, which the comparison checks first.
func (p *Presigner) signingKey(c aws.Credentials, date [8]byte) *signingKey {
	if k := p.key.Load(); k != nil && k.date == date && k.accessKeyID == c.AccessKeyID &&
		k.secret == c.SecretAccessKey && k.token == c.SessionToken {
		return k
	}
	k := deriveSigningKey(c, date, p.region)
	p.key.Store(k)
	return k
}

func deriveSigningKey(c aws.Credentials, date [8]byte, region string) *signingKey {
	h := func(key []byte, data string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	kDate := h([]byte("AWS4"+c.SecretAccessKey), string(date[:]))
	kRegion := h(kDate, region)
	kService := h(kRegion, service)
	kSigning := h(kService, "aws4_request")

	k := &signingKey{
		accessKeyID: c.AccessKeyID,
		secret:      c.SecretAccessKey,
		token:       c.SessionToken,
		date:        date,
		scope:       string(date[:]) + "/" + region + "/" + service + "/aws4_request",
	}
	q := appendQueryEscape([]byte("X-Amz-Algorithm="+algorithm+"&X-Amz-Credential="), c.AccessKeyID+"/"+k.scope)
	k.queryPrefix = string(append(q, "&X-Amz-Date="...))
	if c.SessionToken != "" {
		k.tokenParam = string(appendQueryEscape([]byte("&X-Amz-Security-Token="), c.SessionToken))
	}
	var ipad, opad [sha256.BlockSize]byte
	copy(ipad[:], kSigning)
	copy(opad[:], kSigning)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	k.inner = midstate(ipad[:])
	k.outer = midstate(opad[:])
	return k
}

// midstate returns the marshalled SHA-256 state after hashing one block.
func midstate(block []byte) []byte {
	h := sha256.New()
	h.Write(block)
	st, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("presign: sha256 state cannot be marshalled: " + err.Error()) // the standard library always can
	}
	return st
}

// hmac writes HMAC-SHA256(key, msg) to sum, using h (a SHA-256 hash) as
// working state. It allocates nothing when sum is not on the stack (an
// interface call makes its argument escape).
func (k *signingKey) hmac(h stateHash, msg []byte, sum *[sha256.Size]byte) {
	restore(h, k.inner)
	h.Write(msg)
	h.Sum(sum[:0])
	restore(h, k.outer)
	h.Write(sum[:])
	h.Sum(sum[:0])
}

// restore sets h to a state made by midstate.
func restore(h stateHash, state []byte) {
	if err := h.UnmarshalBinary(state); err != nil {
		panic("presign: sha256 state cannot be restored: " + err.Error()) // it came from the same implementation
	}
}

// amzDate formats t in UTC as yyyymmddThhmmssZ. ok is false for years
// outside 0000-9999, which SigV4 cannot express.
func amzDate(t time.Time) (d [16]byte, ok bool) {
	t = t.UTC()
	y, mo, day := t.Date()
	if y < 0 || y > 9999 {
		return d, false
	}
	hh, mm, ss := t.Clock()
	put := func(i, v, n int) {
		for j := i + n - 1; j >= i; j-- {
			d[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	put(4, int(mo), 2)
	put(6, day, 2)
	d[8] = 'T'
	put(9, hh, 2)
	put(11, mm, 2)
	put(13, ss, 2)
	d[15] = 'Z'
	return d, true
}
