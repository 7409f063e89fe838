package presign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fixedTimePostPresigner wraps the SDK's own POST presigner and pins the
// signing and expiration times it is given.
type fixedTimePostPresigner struct {
	inner   s3.PresignPost
	at      time.Time
	expires time.Duration
}

func (f fixedTimePostPresigner) PresignPost(c aws.Credentials, bucket, key, region, service string, _ time.Time, conditions []any, _ time.Time, optFns ...func(*v4.SignerOptions)) (map[string]string, error) {
	return f.inner.PresignPost(c, bucket, key, region, service, f.at, conditions, f.at.Add(f.expires).UTC(), optFns...)
}

// policy is a decoded POST policy with its conditions normalised to
// comparable strings: ["eq","$Name",v] and {"name":v} both become
// `eq name "v"`, content-length-range becomes `content-length-range min max`.
type policy struct {
	expiration time.Time
	conditions []string
}

func decodePolicy(t *testing.T, b64 string) policy {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("policy is not base64: %v", err)
	}
	var doc struct {
		Expiration string            `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("policy is not JSON: %v\n%s", err, raw)
	}
	exp, err := time.Parse(time.RFC3339Nano, doc.Expiration)
	if err != nil {
		t.Fatalf("policy expiration %q: %v", doc.Expiration, err)
	}
	p := policy{expiration: exp}
	for _, c := range doc.Conditions {
		var obj map[string]string
		if json.Unmarshal(c, &obj) == nil {
			for k, v := range obj {
				p.conditions = append(p.conditions, fmt.Sprintf("eq %s %q", strings.ToLower(k), v))
			}
			continue
		}
		var arr []any
		if err := json.Unmarshal(c, &arr); err != nil || len(arr) != 3 {
			t.Fatalf("condition %s is neither an object nor a triple", c)
		}
		switch arr[0] {
		case "eq", "starts-with":
			p.conditions = append(p.conditions, fmt.Sprintf("%s %s %q", arr[0], strings.ToLower(strings.TrimPrefix(arr[1].(string), "$")), arr[2]))
		case "content-length-range":
			p.conditions = append(p.conditions, fmt.Sprintf("content-length-range %v %v", arr[1], arr[2]))
		default:
			t.Fatalf("unknown condition %s", c)
		}
	}
	slices.Sort(p.conditions)
	return p
}

// postSignature computes the POST signature of a base64 policy from first
// principles (SigV4 key derivation with crypto/hmac).
func postSignature(secret, date, region, policyB64 string) string {
	mac := func(k []byte, s string) []byte {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	k := mac(mac(mac(mac([]byte("AWS4"+secret), date), region), "s3"), "aws4_request")
	return hex.EncodeToString(mac(k, policyB64))
}

var postCases = []struct {
	name string
	in   PostInput
}{
	{"plain", PostInput{Key: "uploads/a.png", ContentType: "image/png", MaxSize: 10 << 20, Expires: 15 * time.Minute}},
	{"min size and checksum", PostInput{Key: "u/ü b+c.pdf", ContentType: "application/pdf", MinSize: 1, MaxSize: 5 << 30, ChecksumSHA256: emptySHA256, Expires: time.Hour}},
	{"json-special key", PostInput{Key: `q"uote\back<tag>&amp;` + "\u2028", ContentType: `text/plain; charset="utf-8"`, MaxSize: 1, Expires: 7 * 24 * time.Hour}},
}

// TestPresignPostMatchesSDK compares PresignPost with the SDK's
// PresignPostObject given the same conditions: same URL, same credential and
// date fields, the same set of policy conditions and expiration (the bytes
// differ in order and condition spelling), and signatures that verify.
func TestPresignPostMatchesSDK(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tg := range sdkTargets {
		p, err := New(tg.target)
		if err != nil {
			t.Fatal(err)
		}
		for _, cr := range testCreds {
			pc := newSDKPresignClient(tg, cr.creds, at, false)
			for _, c := range postCases {
				t.Run(tg.name+"/"+cr.name+"/"+c.name, func(t *testing.T) {
					gotURL, got, err := p.PresignPost(cr.creds, at, c.in)
					if err != nil {
						t.Fatal(err)
					}
					conds := []any{
						[]any{"eq", "$Content-Type", c.in.ContentType},
						[]any{"content-length-range", c.in.MinSize, c.in.MaxSize},
					}
					if c.in.ChecksumSHA256 != "" {
						conds = append(conds, []any{"eq", "$x-amz-checksum-sha256", c.in.ChecksumSHA256})
					}
					bucket := tg.target.Bucket
					want, err := pc.PresignPostObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &c.in.Key}, func(o *s3.PresignPostOptions) {
						o.PostPresigner = fixedTimePostPresigner{inner: o.PostPresigner, at: at, expires: c.in.Expires}
						o.Expires = c.in.Expires
						o.Conditions = conds
					})
					if err != nil {
						t.Fatal(err)
					}
					if gotURL != want.URL {
						t.Errorf("URL = %q, SDK %q", gotURL, want.URL)
					}
					wantFields := map[string]string{}
					for k, v := range want.Values {
						wantFields[strings.ToLower(k)] = v
					}
					for _, f := range []string{"key", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-security-token"} {
						if got[f] != wantFields[f] {
							t.Errorf("field %s = %q, SDK %q", f, got[f], wantFields[f])
						}
					}
					gp, wp := decodePolicy(t, got["policy"]), decodePolicy(t, wantFields["policy"])
					if !gp.expiration.Equal(wp.expiration) {
						t.Errorf("policy expiration %s, SDK %s", gp.expiration, wp.expiration)
					}
					if !slices.Equal(gp.conditions, wp.conditions) {
						t.Errorf("policy conditions differ\n got: %q\nwant: %q", gp.conditions, wp.conditions)
					}
					date := got["x-amz-date"][:8]
					if s := postSignature(cr.creds.SecretAccessKey, date, tg.region, wantFields["policy"]); s != wantFields["x-amz-signature"] {
						t.Fatalf("reference signature %s does not verify the SDK's own %s", s, wantFields["x-amz-signature"])
					}
					if s := postSignature(cr.creds.SecretAccessKey, date, tg.region, got["policy"]); s != got["x-amz-signature"] {
						t.Errorf("signature %s, want %s", got["x-amz-signature"], s)
					}
				})
			}
		}
	}
}

// TestPresignPostPolicy checks the exact fields, that the policy covers every
// field the form sends (S3 refuses uncovered fields) and the expiration format.
func TestPresignPostPolicy(t *testing.T) {
	p := newTestPresigner(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 250_000_000, time.FixedZone("X", -5*3600))
	_, fields, err := p.PresignPost(testCreds[1].creds, at, postCases[1].in)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"Content-Type", "key", "policy", "x-amz-algorithm", "x-amz-checksum-sha256", "x-amz-credential", "x-amz-date", "x-amz-security-token", "x-amz-signature"}
	if got := slices.Sorted(maps.Keys(fields)); !slices.Equal(got, wantNames) {
		t.Errorf("fields %q, want %q", got, wantNames)
	}
	raw, _ := base64.StdEncoding.DecodeString(fields["policy"])
	if !strings.HasPrefix(string(raw), `{"expiration":"2026-03-01T18:00:00.250Z",`) {
		t.Errorf("policy %s: want expiration 2026-03-01T18:00:00.250Z first", raw)
	}
	pol := decodePolicy(t, fields["policy"])
	covered := map[string]bool{"bucket": true}
	for _, c := range pol.conditions {
		if f := strings.Fields(c); f[0] == "eq" {
			covered[f[1]] = true
		}
	}
	for name := range fields {
		if n := strings.ToLower(name); n != "policy" && n != "x-amz-signature" && !covered[n] {
			t.Errorf("form field %q is not covered by a policy condition", name)
		}
	}
	if !slices.Contains(pol.conditions, `eq bucket "test-bucket"`) || !slices.Contains(pol.conditions, "content-length-range 1 5.36870912e+09") {
		t.Errorf("conditions %q lack bucket or size range", pol.conditions)
	}
}

// TestPresignPostRejects checks PostInput validation next to a control.
func TestPresignPostRejects(t *testing.T) {
	ok := PostInput{Key: "k", ContentType: "image/png", MaxSize: 100, Expires: time.Minute}
	with := func(f func(*PostInput)) PostInput { in := ok; f(&in); return in }
	tests := []struct {
		name  string
		creds aws.Credentials
		in    PostInput
		want  error
	}{
		{"control", testCreds[0].creds, ok, nil},
		{"control max size 5 GiB", testCreds[0].creds, with(func(in *PostInput) { in.MaxSize = MaxPostSize }), nil},
		{"control min equals max", testCreds[0].creds, with(func(in *PostInput) { in.MinSize = 100 }), nil},
		{"empty key", testCreds[0].creds, with(func(in *PostInput) { in.Key = "" }), ErrInvalidRequest},
		{"key not UTF-8", testCreds[0].creds, with(func(in *PostInput) { in.Key = "\xff" }), ErrInvalidRequest},
		{"no content type", testCreds[0].creds, with(func(in *PostInput) { in.ContentType = "" }), ErrInvalidRequest},
		{"content type newline", testCreds[0].creds, with(func(in *PostInput) { in.ContentType = "a/b\nc: d" }), ErrInvalidRequest},
		{"content type non-ASCII", testCreds[0].creds, with(func(in *PostInput) { in.ContentType = "image/pngé" }), ErrInvalidRequest},
		{"max size zero", testCreds[0].creds, with(func(in *PostInput) { in.MaxSize = 0 }), ErrInvalidRequest},
		{"max size over 5 GiB", testCreds[0].creds, with(func(in *PostInput) { in.MaxSize = MaxPostSize + 1 }), ErrInvalidRequest},
		{"min size negative", testCreds[0].creds, with(func(in *PostInput) { in.MinSize = -1 }), ErrInvalidRequest},
		{"min over max", testCreds[0].creds, with(func(in *PostInput) { in.MinSize = 101 }), ErrInvalidRequest},
		{"checksum not base64", testCreds[0].creds, with(func(in *PostInput) { in.ChecksumSHA256 = "not base64!" }), ErrInvalidRequest},
		{"checksum wrong length", testCreds[0].creds, with(func(in *PostInput) { in.ChecksumSHA256 = "AAAA" }), ErrInvalidRequest},
		{"expires zero", testCreds[0].creds, with(func(in *PostInput) { in.Expires = 0 }), ErrInvalidRequest},
		{"expires over 7 days", testCreds[0].creds, with(func(in *PostInput) { in.Expires = MaxExpires + time.Second }), ErrInvalidRequest},
		{"no credentials", aws.Credentials{}, ok, ErrInvalidCredentials},
		{"token not UTF-8", aws.Credentials{AccessKeyID: "a", SecretAccessKey: "s", SessionToken: "\xff"}, ok, ErrInvalidCredentials},
	}
	p := newTestPresigner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, fields, err := p.PresignPost(tt.creds, testTime, tt.in)
			if tt.want == nil {
				if err != nil || u == "" || len(fields) == 0 {
					t.Fatalf("got (%q, %d fields, %v), want a form", u, len(fields), err)
				}
				return
			}
			if !errors.Is(err, tt.want) || u != "" || fields != nil {
				t.Errorf("got (%q, %d fields, %v), want only error %v", u, len(fields), err, tt.want)
			}
		})
	}
}
