package presign

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// MaxPostSize is the largest object a single S3 POST upload can write (5 GiB).
const MaxPostSize = 5 << 30

// PostInput describes a browser form upload (S3 POST Object with a signed
// policy).
type PostInput struct {
	// Key is the exact object key, pinned with ["eq", "$key", Key].
	Key string
	// ContentType is pinned with ["eq", "$Content-Type", ContentType]; the
	// form must send it as the Content-Type field.
	ContentType string
	// MinSize and MaxSize bound the file in bytes (content-length-range).
	MinSize, MaxSize int64
	// ChecksumSHA256 is the optional base64 SHA-256 of the file. When set,
	// the form carries it as x-amz-checksum-sha256, the policy pins it, and
	// S3 refuses a file with another digest (400 BadDigest). No
	// x-amz-checksum-algorithm field is sent: S3 ignores the algorithm when
	// an individual checksum is given, and versitygw needs none either.
	ChecksumSHA256 string
	// Expires is the policy lifetime, between MinExpires and MaxExpires.
	Expires time.Duration
}

// Form field names PresignPost returns. S3 matches form field names without
// regard to case; the policy conditions use the same spelling.
const (
	FieldKey            = "key"
	FieldContentType    = "Content-Type"
	FieldPolicy         = "policy"
	FieldAlgorithm      = "x-amz-algorithm"
	FieldCredential     = "x-amz-credential"
	FieldDate           = "x-amz-date"
	FieldSignature      = "x-amz-signature"
	FieldSecurityToken  = "x-amz-security-token"
	FieldChecksumSHA256 = "x-amz-checksum-sha256"
)

// PresignPost returns the URL a browser form posts to (the bucket URL) and
// the form fields to send before the file field. The policy pins the bucket,
// the exact key, the content type, the size range, every x-amz-* field and,
// when given, the SHA-256 checksum; it expires at now+in.Expires (ISO 8601
// with milliseconds, UTC).
func (p *Presigner) PresignPost(creds aws.Credentials, now time.Time, in PostInput) (url string, fields map[string]string, err error) {
	if err := checkPostInput(creds, &in); err != nil {
		return "", nil, err
	}
	exp, err := checkExpires(in.Expires)
	if err != nil {
		return "", nil, err
	}
	date, ok := amzDate(now)
	if !ok {
		return "", nil, fmt.Errorf("%w: time %s is outside years 0000-9999", ErrInvalidRequest, now)
	}
	k := p.signingKey(creds, [8]byte(date[:8]))
	credential := creds.AccessKeyID + "/" + k.scope
	expiration := now.UTC().Add(time.Duration(exp) * time.Second)
	policy := base64.StdEncoding.EncodeToString(p.postPolicy(creds, &in, credential, &date, expiration))
	signature := p.signPolicy(k, policy)
	return p.bucketURL, postFields(creds, &in, credential, &date, policy, signature), nil
}

// checkPostInput refuses credentials and form inputs that S3 would refuse or
// that would make a policy other than the one asked for.
func checkPostInput(creds aws.Credentials, in *PostInput) error {
	if err := checkCreds(creds); err != nil {
		return err
	}
	if !utf8.ValidString(creds.SessionToken) {
		return fmt.Errorf("%w: session token is not valid UTF-8", ErrInvalidCredentials)
	}
	if err := checkKey(in.Key); err != nil {
		return err
	}
	if in.ContentType == "" || hasCTL(in.ContentType) || !isASCII(in.ContentType) {
		return fmt.Errorf("%w: content type %q must be non-empty printable ASCII", ErrInvalidRequest, in.ContentType)
	}
	if in.MaxSize < 1 || in.MaxSize > MaxPostSize || in.MinSize < 0 || in.MinSize > in.MaxSize {
		return fmt.Errorf("%w: size range %d..%d must satisfy 0 <= min <= max, 1 <= max <= %d", ErrInvalidRequest, in.MinSize, in.MaxSize, int64(MaxPostSize))
	}
	if in.ChecksumSHA256 != "" {
		if sum, err := base64.StdEncoding.DecodeString(in.ChecksumSHA256); err != nil || len(sum) != sha256.Size {
			return fmt.Errorf("%w: checksum %q is not a base64 SHA-256 digest", ErrInvalidRequest, in.ChecksumSHA256)
		}
	}
	return nil
}

// postPolicy returns the policy document. encoding/json would do, but
// building it by hand keeps the condition order fixed and the cost low.
func (p *Presigner) postPolicy(creds aws.Credentials, in *PostInput, credential string, date *[16]byte, expiration time.Time) []byte {
	doc := make([]byte, 0, 512+len(in.Key)+len(creds.SessionToken))
	doc = append(doc, `{"expiration":"`...)
	doc = expiration.AppendFormat(doc, "2006-01-02T15:04:05.000Z")
	doc = append(doc, `","conditions":[{"bucket":`...)
	doc = appendJSONString(doc, p.bucket)
	doc = append(doc, `},["eq","$key",`...)
	doc = appendJSONString(doc, in.Key)
	doc = append(doc, `],["eq","$Content-Type",`...)
	doc = appendJSONString(doc, in.ContentType)
	doc = append(doc, `],["content-length-range",`...)
	doc = strconv.AppendInt(doc, in.MinSize, 10)
	doc = append(doc, ',')
	doc = strconv.AppendInt(doc, in.MaxSize, 10)
	doc = append(doc, `],{"x-amz-algorithm":"`+algorithm+`"},{"x-amz-credential":`...)
	doc = appendJSONString(doc, credential)
	doc = append(doc, `},{"x-amz-date":"`...)
	doc = append(doc, date[:]...)
	doc = append(doc, `"}`...)
	if creds.SessionToken != "" {
		doc = append(doc, `,{"x-amz-security-token":`...)
		doc = appendJSONString(doc, creds.SessionToken)
		doc = append(doc, '}')
	}
	if in.ChecksumSHA256 != "" {
		doc = append(doc, `,["eq","$x-amz-checksum-sha256",`...)
		doc = appendJSONString(doc, in.ChecksumSHA256)
		doc = append(doc, ']')
	}
	return append(doc, "]}"...)
}

// signPolicy returns the hex signature of a base64 policy: for POST, the
// base64 policy is itself the string to sign.
func (p *Presigner) signPolicy(k *signingKey, policy string) string {
	s := p.pool.Get().(*scratch)
	s.sts = append(s.sts[:0], policy...)
	k.hmac(s.h, s.sts, &s.sum)
	signature := hex.EncodeToString(s.sum[:])
	p.putScratch(s)
	return signature
}

// postFields returns the form fields a browser sends before the file field.
func postFields(creds aws.Credentials, in *PostInput, credential string, date *[16]byte, policy, signature string) map[string]string {
	fields := make(map[string]string, 9)
	fields[FieldKey] = in.Key
	fields[FieldContentType] = in.ContentType
	fields[FieldPolicy] = policy
	fields[FieldAlgorithm] = algorithm
	fields[FieldCredential] = credential
	fields[FieldDate] = string(date[:])
	fields[FieldSignature] = signature
	if creds.SessionToken != "" {
		fields[FieldSecurityToken] = creds.SessionToken
	}
	if in.ChecksumSHA256 != "" {
		fields[FieldChecksumSHA256] = in.ChecksumSHA256
	}
	return fields
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// appendJSONString appends s (valid UTF-8) as a JSON string. Like
// encoding/json it escapes <, > and & so the policy is safe inside HTML.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			dst = append(dst, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

const hexLower = "0123456789abcdef"
