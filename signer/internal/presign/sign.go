package presign

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// scratch is the per-call working memory, pooled so that a presign allocates
// only the returned string.
type scratch struct {
	h   stateHash         // SHA-256
	sum [sha256.Size]byte // digest output
	buf []byte            // canonical request
	sts []byte            // string to sign
	enc []byte            // escaped query names and values
	qs  []qspan           // query parameters, as spans of enc
	hs  []int             // signed headers as indexes into Request.Headers; -1 is host
}

// qspan locates one escaped query parameter in scratch.enc.
type qspan struct{ k0, k1, v0, v1 int }

// maxPooled is the largest buffer kept in the pool, so that one huge request
// does not pin its memory for ever.
const maxPooled = 64 << 10

func (p *Presigner) putScratch(s *scratch) {
	if cap(s.buf) > maxPooled || cap(s.sts) > maxPooled || cap(s.enc) > maxPooled {
		return
	}
	p.pool.Put(s)
}

// forbiddenHeader reports headers that cannot be signed headers of a
// presigned URL: host is always signed by Presign itself, the others are
// dropped or rewritten on the way (the SDK never signs them) or belong in the
// query string.
func forbiddenHeader(name string) bool {
	switch name {
	case "host", "authorization", "user-agent", "expect", "transfer-encoding", "x-amzn-trace-id",
		"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
		"x-amz-security-token", "x-amz-signature", "x-amz-signedheaders":
		return true
	}
	return false
}

// Presign returns a SigV4 query-string presigned URL for r, signed with creds
// at time now. Every header in r.Headers is a signed header (listed in
// X-Amz-SignedHeaders) and must be sent with the request; host is always
// signed. A session token in creds is added as X-Amz-Security-Token. The
// payload is UNSIGNED-PAYLOAD, as with the AWS SDK.
func (p *Presigner) Presign(creds aws.Credentials, now time.Time, r Request) (string, error) {
	if err := checkCreds(creds); err != nil {
		return "", err
	}
	if r.Method != "PUT" && r.Method != "GET" {
		return "", fmt.Errorf("%w: method %q is not PUT or GET", ErrInvalidRequest, r.Method)
	}
	if err := checkKey(r.Key); err != nil {
		return "", err
	}
	exp, err := checkExpires(r.Expires)
	if err != nil {
		return "", err
	}
	date, ok := amzDate(now)
	if !ok {
		return "", fmt.Errorf("%w: time %s is outside years 0000-9999", ErrInvalidRequest, now)
	}
	k := p.signingKey(creds, [8]byte(date[:8]))

	s := p.pool.Get().(*scratch)
	u, err := p.presign(s, k, &date, exp, &r)
	p.putScratch(s)
	return u, err
}

func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: key is empty", ErrInvalidRequest)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: key is %d bytes, more than %d", ErrInvalidRequest, len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: key is not valid UTF-8", ErrInvalidRequest)
	}
	return nil
}

func (p *Presigner) presign(s *scratch, k *signingKey, date *[16]byte, exp int64, r *Request) (string, error) {
	// Signed headers, sorted by name; host is index -1.
	name := func(i int) string {
		if i < 0 {
			return "host"
		}
		return r.Headers[i].Name
	}
	hs := append(s.hs[:0], -1)
	for i := range r.Headers {
		h := &r.Headers[i]
		switch {
		case !validHeaderName(h.Name):
			return "", fmt.Errorf("%w: header name %q is not a lower-case token (a-z 0-9 - _ .)", ErrInvalidRequest, h.Name)
		case forbiddenHeader(h.Name):
			return "", fmt.Errorf("%w: header %q cannot be a signed header of a presigned URL", ErrInvalidRequest, h.Name)
		case hasCTL(h.Value):
			return "", fmt.Errorf("%w: header %q value has control characters", ErrInvalidRequest, h.Name)
		}
		hs = append(hs, i)
	}
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && name(hs[j]) < name(hs[j-1]); j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
	for i := 1; i < len(hs); i++ {
		if name(hs[i]) == name(hs[i-1]) {
			return "", fmt.Errorf("%w: header %q given twice", ErrInvalidRequest, name(hs[i]))
		}
	}
	s.hs = hs

	// Caller query parameters, escaped, then sorted by escaped name and value
	// as SigV4 requires ("the sorting occurs after encoding"). None starts
	// with X-Amz-, so each sorts wholly before or after the block of X-Amz-*
	// authentication parameters, which is already in order.
	enc, qs := s.enc[:0], s.qs[:0]
	for _, q := range r.Query {
		if q.Name == "" {
			return "", fmt.Errorf("%w: query parameter with empty name", ErrInvalidRequest)
		}
		if hasPrefixFold(q.Name, "x-amz-") {
			return "", fmt.Errorf("%w: query parameter %q: x-amz-* values must be signed headers", ErrInvalidRequest, q.Name)
		}
		k0 := len(enc)
		enc = appendQueryEscape(enc, q.Name)
		k1 := len(enc)
		enc = appendQueryEscape(enc, q.Value)
		qs = append(qs, qspan{k0, k1, k1, len(enc)})
	}
	for i := 1; i < len(qs); i++ {
		for j := i; j > 0 && qless(enc, qs[j], qs[j-1]); j-- {
			qs[j], qs[j-1] = qs[j-1], qs[j]
		}
	}
	for i := 1; i < len(qs); i++ {
		if bytes.Equal(enc[qs[i].k0:qs[i].k1], enc[qs[i-1].k0:qs[i-1].k1]) {
			return "", fmt.Errorf("%w: query parameter %q given twice", ErrInvalidRequest, enc[qs[i].k0:qs[i].k1])
		}
	}
	s.enc, s.qs = enc, qs
	// before is the number of caller parameters that sort before X-Amz-*.
	before := 0
	for before < len(qs) && string(enc[qs[before].k0:qs[before].k1]) < "X-Amz-" {
		before++
	}
	appendParams := func(buf []byte, qs []qspan, first bool) []byte {
		for _, q := range qs {
			if !first {
				buf = append(buf, '&')
			}
			first = false
			buf = append(buf, enc[q.k0:q.k1]...)
			buf = append(buf, '=')
			buf = append(buf, enc[q.v0:q.v1]...)
		}
		return buf
	}

	// Canonical request. Its path and query are also the URL's.
	buf := append(s.buf[:0], r.Method...)
	buf = append(buf, '\n')
	pathStart := len(buf)
	buf = append(buf, p.pathPrefix...)
	buf = appendPathEscape(buf, r.Key)
	pathEnd := len(buf)
	buf = append(buf, '\n')
	queryStart := len(buf)
	buf = appendParams(buf, qs[:before], true)
	if before > 0 {
		buf = append(buf, '&')
	}
	buf = append(buf, k.queryPrefix...) // X-Amz-Algorithm=...&X-Amz-Credential=...&X-Amz-Date=
	buf = append(buf, date[:]...)
	buf = append(buf, "&X-Amz-Expires="...)
	buf = strconv.AppendInt(buf, exp, 10)
	buf = append(buf, k.tokenParam...) // &X-Amz-Security-Token=..., or nothing
	// Header names are unreserved characters, so only ';' needs escaping.
	buf = append(buf, "&X-Amz-SignedHeaders="...)
	for j, i := range hs {
		if j > 0 {
			buf = append(buf, "%3B"...)
		}
		buf = append(buf, name(i)...)
	}
	buf = appendParams(buf, qs[before:], false)
	queryEnd := len(buf)
	buf = append(buf, '\n')
	for _, i := range hs {
		buf = append(buf, name(i)...)
		buf = append(buf, ':')
		if i < 0 {
			buf = append(buf, p.host...)
		} else {
			buf = appendHeaderValue(buf, r.Headers[i].Value)
		}
		buf = append(buf, '\n')
	}
	buf = append(buf, '\n')
	for j, i := range hs {
		if j > 0 {
			buf = append(buf, ';')
		}
		buf = append(buf, name(i)...)
	}
	buf = append(buf, '\n')
	buf = append(buf, unsignedPayload...)
	s.buf = buf
	h := s.h
	h.Reset()
	h.Write(buf)
	crHash := &s.sum
	h.Sum(crHash[:0])

	sts := append(s.sts[:0], algorithm+"\n"...)
	sts = append(sts, date[:]...)
	sts = append(sts, '\n')
	sts = append(sts, k.scope...)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, crHash[:])
	s.sts = sts
	sig := &s.sum
	k.hmac(h, sts, sig)
	var sigHex [2 * sha256.Size]byte
	hex.Encode(sigHex[:], sig[:])

	const sigParam = "&X-Amz-Signature="
	var b strings.Builder
	b.Grow(len(p.origin) + (pathEnd - pathStart) + 1 + (queryEnd - queryStart) + len(sigParam) + len(sigHex))
	b.WriteString(p.origin)
	b.Write(buf[pathStart:pathEnd])
	b.WriteByte('?')
	b.Write(buf[queryStart:queryEnd])
	b.WriteString(sigParam)
	b.Write(sigHex[:])
	return b.String(), nil
}

// qless orders query parameters by escaped name, then escaped value.
func qless(enc []byte, a, b qspan) bool {
	if c := bytes.Compare(enc[a.k0:a.k1], enc[b.k0:b.k1]); c != 0 {
		return c < 0
	}
	return bytes.Compare(enc[a.v0:a.v1], enc[b.v0:b.v1]) < 0
}
