package uploadtoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// Endpoint tokens name a caller for a short time. They are the last path
// segment of a caller-bound Uppy Companion endpoint (<signer>/uppy/<token>):
// @uppy/aws-s3 sends no Authorization header to a Companion endpoint, so the
// endpoint itself carries who minted it. Same secret, another domain label,
// so an endpoint token is never accepted as an upload token or the other
// way round:
//
//	token   = payload "." mac
//	payload = version(1 byte, 1) uvarint(expiry, Unix seconds) caller
//	mac     = HMAC-SHA256(secret, endpointDomain || lp("") || lp("") || payload)
//
// The caller is carried (the request has no other way to say it) and bound
// by the MAC with the expiry: changing either breaks it.
const endpointDomain = "s3presign uppy companion endpoint token v1\x00"

var (
	errEndpointInvalid = &apierr.Error{Code: apierr.Forbidden, Message: "this Uppy endpoint is not valid: mint a new one with POST /v1/uppy"}
	errEndpointExpired = &apierr.Error{Code: apierr.Forbidden, Message: "this Uppy endpoint has expired: mint a new one with POST /v1/uppy"}
)

// SignEndpoint returns an endpoint token for caller ("" is the anonymous
// caller of auth mode none) that is accepted until expires.
func (s *Signer) SignEndpoint(caller string, expires time.Time) string {
	payload := make([]byte, 0, 1+binary.MaxVarintLen64+len(caller))
	payload = append(payload, version)
	payload = binary.AppendUvarint(payload, uint64(max(expires.Unix(), 0)))
	payload = append(payload, caller...)
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(s.mac(endpointDomain, "", "", payload))
}

// VerifyEndpoint checks an endpoint token at now and returns the caller it
// names and when it expires. Every failure is a forbidden *apierr.Error whose
// message says to mint a new endpoint; a forged, altered or expired token
// reveals nothing else.
func (s *Signer) VerifyEndpoint(token string, now time.Time) (caller string, expires time.Time, err error) {
	if token == "" || len(token) > MaxTokenBytes || strings.ContainsAny(token, "\r\n") {
		return "", time.Time{}, errEndpointInvalid
	}
	p64, m64, ok := strings.Cut(token, ".")
	if !ok {
		return "", time.Time{}, errEndpointInvalid
	}
	payload, err := enc.DecodeString(p64)
	if err != nil {
		return "", time.Time{}, errEndpointInvalid
	}
	mac, err := enc.DecodeString(m64)
	if err != nil || len(mac) != sha256.Size || !hmac.Equal(mac, s.mac(endpointDomain, "", "", payload)) {
		return "", time.Time{}, errEndpointInvalid
	}
	if len(payload) < 2 || payload[0] != version {
		return "", time.Time{}, errEndpointInvalid
	}
	exp, l := binary.Uvarint(payload[1:])
	if l <= 0 || exp > 1<<62 || !utf8.Valid(payload[1+l:]) {
		return "", time.Time{}, errEndpointInvalid
	}
	expires = time.Unix(int64(exp), 0).UTC()
	if !now.Before(expires) {
		return "", time.Time{}, errEndpointExpired
	}
	return string(payload[1+l:]), expires, nil
}
