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

// presign builds the URL in the SigV4 steps, each a function named for it:
// the signed headers, the canonical query, the canonical request (whose path
// and query are also the URL's), the string to sign, the signature, and the
// URL. All working memory is s, so the URL string is the one allocation.
func (p *Presigner) presign(s *scratch, k *signingKey, date *[16]byte, exp int64, r *Request) (string, error) {
	if err := s.sortSignedHeaders(r); err != nil {
		return "", err
	}
	if err := s.sortQuery(r); err != nil {
		return "", err
	}
	cr := p.canonicalRequest(s, k, date, exp, r)
	s.stringToSign(k, date)
	var sigHex [2 * sha256.Size]byte
	s.signature(k, &sigHex)
	return p.url(s, cr, &sigHex), nil
}

// headerName is the name of signed header i of r; -1 is host.
func headerName(r *Request, i int) string {
	if i < 0 {
		return "host"
	}
	return r.Headers[i].Name
}

// sortSignedHeaders checks r's headers and leaves in s.hs their indexes (with
// host as -1) sorted by name, as the canonical request lists them.
func (s *scratch) sortSignedHeaders(r *Request) error {
	hs := append(s.hs[:0], -1)
	for i := range r.Headers {
		h := &r.Headers[i]
		switch {
		case !validHeaderName(h.Name):
			return fmt.Errorf("%w: header name %q is not a lower-case token (a-z 0-9 - _ .)", ErrInvalidRequest, h.Name)
		case forbiddenHeader(h.Name):
			return fmt.Errorf("%w: header %q cannot be a signed header of a presigned URL", ErrInvalidRequest, h.Name)
		case hasCTL(h.Value):
			return fmt.Errorf("%w: header %q value has control characters", ErrInvalidRequest, h.Name)
		}
		hs = append(hs, i)
	}
	// Insertion sort: a handful of headers, and no allocation.
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && headerName(r, hs[j]) < headerName(r, hs[j-1]); j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
	for i := 1; i < len(hs); i++ {
		if headerName(r, hs[i]) == headerName(r, hs[i-1]) {
			return fmt.Errorf("%w: header %q given twice", ErrInvalidRequest, headerName(r, hs[i]))
		}
	}
	s.hs = hs
	return nil
}

// sortQuery escapes the caller's query parameters into s.enc and leaves their
// spans in s.qs sorted by escaped name and value, as SigV4 requires ("the
// sorting occurs after encoding"). None starts with X-Amz-, so each sorts
// wholly before or after the block of X-Amz-* authentication parameters.
func (s *scratch) sortQuery(r *Request) error {
	enc, qs := s.enc[:0], s.qs[:0]
	for _, q := range r.Query {
		if q.Name == "" {
			return fmt.Errorf("%w: query parameter with empty name", ErrInvalidRequest)
		}
		if hasPrefixFold(q.Name, "x-amz-") {
			return fmt.Errorf("%w: query parameter %q: x-amz-* values must be signed headers", ErrInvalidRequest, q.Name)
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
			return fmt.Errorf("%w: query parameter %q given twice", ErrInvalidRequest, enc[qs[i].k0:qs[i].k1])
		}
	}
	s.enc, s.qs = enc, qs
	return nil
}

// queryBeforeAuth is the number of sorted caller parameters that sort before
// the X-Amz-* authentication parameters.
func (s *scratch) queryBeforeAuth() int {
	n := 0
	for n < len(s.qs) && string(s.enc[s.qs[n].k0:s.qs[n].k1]) < "X-Amz-" {
		n++
	}
	return n
}

// appendQueryParams appends the parameters qs as name=value pairs joined by
// '&', with a leading '&' unless first.
func (s *scratch) appendQueryParams(buf []byte, qs []qspan, first bool) []byte {
	for _, q := range qs {
		if !first {
			buf = append(buf, '&')
		}
		first = false
		buf = append(buf, s.enc[q.k0:q.k1]...)
		buf = append(buf, '=')
		buf = append(buf, s.enc[q.v0:q.v1]...)
	}
	return buf
}

// appendSignedHeaderList appends the sorted signed header names joined by sep.
func (s *scratch) appendSignedHeaderList(buf []byte, r *Request, sep string) []byte {
	for j, i := range s.hs {
		if j > 0 {
			buf = append(buf, sep...)
		}
		buf = append(buf, headerName(r, i)...)
	}
	return buf
}

// canonicalSpans locates the URL's path and query inside the canonical
// request, so the URL reuses those bytes.
type canonicalSpans struct{ pathStart, pathEnd, queryStart, queryEnd int }

// canonicalRequest writes the canonical request into s.buf and returns where
// its path and query are. Header names are unreserved characters, so in the
// X-Amz-SignedHeaders query value only ';' needs escaping.
func (p *Presigner) canonicalRequest(s *scratch, k *signingKey, date *[16]byte, exp int64, r *Request) canonicalSpans {
	var cs canonicalSpans
	before := s.queryBeforeAuth()
	buf := append(s.buf[:0], r.Method...)
	buf = append(buf, '\n')
	cs.pathStart = len(buf)
	buf = append(buf, p.pathPrefix...)
	buf = appendPathEscape(buf, r.Key)
	cs.pathEnd = len(buf)
	buf = append(buf, '\n')
	cs.queryStart = len(buf)
	buf = s.appendQueryParams(buf, s.qs[:before], true)
	if before > 0 {
		buf = append(buf, '&')
	}
	buf = append(buf, k.queryPrefix...) // X-Amz-Algorithm=...&X-Amz-Credential=...&X-Amz-Date=
	buf = append(buf, date[:]...)
	buf = append(buf, "&X-Amz-Expires="...)
	buf = strconv.AppendInt(buf, exp, 10)
	buf = append(buf, k.tokenParam...) // &X-Amz-Security-Token=..., or nothing
	buf = append(buf, "&X-Amz-SignedHeaders="...)
	buf = s.appendSignedHeaderList(buf, r, "%3B")
	buf = s.appendQueryParams(buf, s.qs[before:], false)
	cs.queryEnd = len(buf)
	buf = append(buf, '\n')
	for _, i := range s.hs {
		buf = append(buf, headerName(r, i)...)
		buf = append(buf, ':')
		if i < 0 {
			buf = append(buf, p.host...)
		} else {
			buf = appendHeaderValue(buf, r.Headers[i].Value)
		}
		buf = append(buf, '\n')
	}
	buf = append(buf, '\n')
	buf = s.appendSignedHeaderList(buf, r, ";")
	buf = append(buf, '\n')
	buf = append(buf, unsignedPayload...)
	s.buf = buf
	return cs
}

// stringToSign writes the string to sign for the canonical request in s.buf
// into s.sts: the algorithm, the date, the scope and the request's hash.
func (s *scratch) stringToSign(k *signingKey, date *[16]byte) {
	h := s.h
	h.Reset()
	h.Write(s.buf)
	h.Sum(s.sum[:0])

	sts := append(s.sts[:0], algorithm+"\n"...)
	sts = append(sts, date[:]...)
	sts = append(sts, '\n')
	sts = append(sts, k.scope...)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, s.sum[:])
	s.sts = sts
}

// signature writes the hex HMAC of s.sts under the day's signing key.
func (s *scratch) signature(k *signingKey, sigHex *[2 * sha256.Size]byte) {
	k.hmac(s.h, s.sts, &s.sum)
	hex.Encode(sigHex[:], s.sum[:])
}

// url joins the origin, the canonical path and query, and the signature: the
// one allocation of a presign.
func (p *Presigner) url(s *scratch, cs canonicalSpans, sigHex *[2 * sha256.Size]byte) string {
	const sigParam = "&X-Amz-Signature="
	var b strings.Builder
	b.Grow(len(p.origin) + (cs.pathEnd - cs.pathStart) + 1 + (cs.queryEnd - cs.queryStart) + len(sigParam) + len(sigHex))
	b.WriteString(p.origin)
	b.Write(s.buf[cs.pathStart:cs.pathEnd])
	b.WriteByte('?')
	b.Write(s.buf[cs.queryStart:cs.queryEnd])
	b.WriteString(sigParam)
	b.Write(sigHex[:])
	return b.String()
}

// qless orders query parameters by escaped name, then escaped value.
func qless(enc []byte, a, b qspan) bool {
	if c := bytes.Compare(enc[a.k0:a.k1], enc[b.k0:b.k1]); c != 0 {
		return c < 0
	}
	return bytes.Compare(enc[a.v0:a.v1], enc[b.v0:b.v1]) < 0
}
