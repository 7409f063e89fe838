package presign

import (
	"crypto/hmac"
	"crypto/sha256"
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

	scope       string // yyyymmdd/region/s3/aws4_request
	credentialQ string // accessKeyID/scope, query-encoded

	ipad, opad [sha256.BlockSize]byte // HMAC pads of the derived key
}

// signingKey returns the cached key for the credentials and day, deriving and
// caching a new one when either changed. One entry is kept: a signer uses one
// set of credentials at a time, so a day change or a credentials rotation
// costs one derivation (four HMACs) and every other call none.
func (p *Presigner) signingKey(c aws.Credentials, date [8]byte) *signingKey {
	if k := p.key.Load(); k != nil && k.date == date && k.accessKeyID == c.AccessKeyID && k.secret == c.SecretAccessKey {
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
		date:        date,
		scope:       string(date[:]) + "/" + region + "/" + service + "/aws4_request",
	}
	k.credentialQ = string(appendQueryEscape(nil, c.AccessKeyID+"/"+k.scope))
	for i := range k.ipad {
		var b byte
		if i < len(kSigning) {
			b = kSigning[i]
		}
		k.ipad[i] = b ^ 0x36
		k.opad[i] = b ^ 0x5c
	}
	return k
}

// hmac returns HMAC-SHA256(key, msg) where buf holds the key's ipad
// block followed by msg (buf[:64] is overwritten). It allocates nothing.
func (k *signingKey) hmac(buf []byte) [sha256.Size]byte {
	copy(buf, k.ipad[:])
	inner := sha256.Sum256(buf)
	var outer [sha256.BlockSize + sha256.Size]byte
	copy(outer[:], k.opad[:])
	copy(outer[sha256.BlockSize:], inner[:])
	return sha256.Sum256(outer[:])
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
