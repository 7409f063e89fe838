package presign

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fixedTimePresigner is the SDK's own v4 signer with the signing time pinned:
// it replaces only the time argument the PresignClient passes, so the URL is
// still built entirely by the SDK (endpoint resolution, serialisation,
// X-Amz-Expires, x-id, canonicalisation, signature).
type fixedTimePresigner struct {
	signer *v4.Signer
	at     time.Time
}

func (f fixedTimePresigner) PresignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return f.signer.PresignHTTP(ctx, c, r, payloadHash, service, region, f.at, optFns...)
}

// sdkTarget is one client configuration and the Target meant to match it.
type sdkTarget struct {
	name         string
	region       string
	baseEndpoint string // "" is the SDK's default AWS endpoint
	pathStyle    bool
	target       Target
}

var sdkTargets = []sdkTarget{
	{"aws-us-east-1-virtual", "us-east-1", "", false, Target{Endpoint: "https://s3.us-east-1.amazonaws.com", Region: "us-east-1", Bucket: "my-bucket"}},
	{"aws-eu-west-1-virtual", "eu-west-1", "", false, Target{Endpoint: "https://s3.eu-west-1.amazonaws.com", Region: "eu-west-1", Bucket: "uploads-prod-1"}},
	{"aws-eu-west-1-path", "eu-west-1", "", true, Target{Endpoint: "https://s3.eu-west-1.amazonaws.com", Region: "eu-west-1", Bucket: "my.dotted.bucket", PathStyle: true}},
	{"custom-ip-path", "us-east-1", "http://127.0.0.1:7070", true, Target{Endpoint: "http://127.0.0.1:7070", Region: "us-east-1", Bucket: "test-bucket", PathStyle: true}},
	{"custom-host-virtual", "eu-west-1", "https://objects.example.com:9000", false, Target{Endpoint: "https://objects.example.com:9000", Region: "eu-west-1", Bucket: "my-bucket"}},
	{"custom-default-port-path", "us-east-1", "https://objects.example.com:443", true, Target{Endpoint: "https://objects.example.com:443", Region: "us-east-1", Bucket: "my-bucket", PathStyle: true}},
}

// sdkCase is one operation, described once and turned into both an SDK
// input and a Request.
type sdkCase struct {
	name          string
	op            string // PutObject, GetObject or UploadPart
	key           string
	contentType   string
	contentLength int64
	ifNoneMatch   string
	checksum      string
	disposition   string
	responseType  string
	part          int32
	uploadID      string
	expires       time.Duration
}

const emptySHA256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

var sdkCases = []sdkCase{
	{name: "put plain", op: "PutObject", key: "plain.txt", expires: 15 * time.Minute},
	{name: "put content-type", op: "PutObject", key: "a/b/c.json", contentType: "application/json", expires: time.Hour},
	{name: "put content-type params", op: "PutObject", key: "doc.txt", contentType: "text/plain; charset=utf-8", expires: time.Hour},
	{name: "put content-type spaces", op: "PutObject", key: "doc.txt", contentType: "  multipart/mixed;   boundary=\"a  b\"  ", expires: time.Hour},
	{name: "put length", op: "PutObject", key: "sized.bin", contentType: "application/octet-stream", contentLength: 1048576, expires: time.Hour},
	{name: "put if-none-match", op: "PutObject", key: "once.txt", contentType: "text/plain", ifNoneMatch: "*", expires: time.Hour},
	{name: "put checksum", op: "PutObject", key: "sum.bin", checksum: emptySHA256, expires: time.Hour},
	{name: "put everything", op: "PutObject", key: "uploads/01hx/ßüö report (final).pdf", contentType: "application/pdf", contentLength: 5 << 20, ifNoneMatch: "*", checksum: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", expires: 7 * 24 * time.Hour},
	{name: "put space", op: "PutObject", key: "with space/and  two.txt", expires: time.Second},
	{name: "put plus", op: "PutObject", key: "a+b+c.txt", expires: time.Minute},
	{name: "put tilde", op: "PutObject", key: "~user/~file~", expires: time.Minute},
	{name: "put reserved", op: "PutObject", key: "q=1&r=2%3#frag;x:y@z,$!*'()[].txt", expires: time.Minute},
	{name: "put unicode", op: "PutObject", key: "日本語/Grüße/🎉 emoji.png", contentType: "image/png", expires: time.Minute},
	{name: "put dot segments", op: "PutObject", key: "a/./b/../c", expires: time.Minute},
	{name: "put leading slash", op: "PutObject", key: "/leading//double/", expires: time.Minute},
	{name: "put percent sequence", op: "PutObject", key: "100%25 sure %2F not a slash", expires: time.Minute},
	{name: "get plain", op: "GetObject", key: "plain.txt", expires: 15 * time.Minute},
	{name: "get disposition", op: "GetObject", key: "files/r\u00e9sum\u00e9.pdf", disposition: `attachment; filename="resume.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`, expires: time.Hour},
	{name: "get disposition quotes utf8", op: "GetObject", key: "x", disposition: `attachment; filename="Grüße \"quoted\" 日本.txt"`, responseType: "text/plain; charset=utf-8", expires: time.Hour},
	{name: "get reserved", op: "GetObject", key: "a+b=c&d%e#f~g", disposition: "inline", expires: 24 * time.Hour},
	{name: "upload part", op: "UploadPart", key: "big/file.bin", part: 1, uploadID: "2~abc.def_ghi", expires: time.Hour},
	{name: "upload part length", op: "UploadPart", key: "big/file.bin", part: 10000, uploadID: "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA+/=", contentLength: 5 << 20, expires: 7 * 24 * time.Hour},
	{name: "upload part unicode key", op: "UploadPart", key: "ü/ part 2", part: 2, uploadID: "id with space", contentLength: 12, expires: time.Hour},
}

// request turns the case into a Request with the same parameters the SDK
// serialises, including its x-id.
func (c sdkCase) request() Request {
	r := Request{Method: "PUT", Key: c.key, Expires: c.expires, Query: []Param{{"x-id", c.op}}}
	if c.op == "GetObject" {
		r.Method = "GET"
	}
	if c.op == "UploadPart" {
		r.Query = append(r.Query, Param{"partNumber", strconv.Itoa(int(c.part))}, Param{"uploadId", c.uploadID})
	}
	if c.disposition != "" {
		r.Query = append(r.Query, Param{"response-content-disposition", c.disposition})
	}
	if c.responseType != "" {
		r.Query = append(r.Query, Param{"response-content-type", c.responseType})
	}
	if c.contentType != "" {
		r.Headers = append(r.Headers, Header{"content-type", c.contentType})
	}
	if c.contentLength > 0 {
		r.Headers = append(r.Headers, Header{"content-length", strconv.FormatInt(c.contentLength, 10)})
	}
	if c.ifNoneMatch != "" {
		r.Headers = append(r.Headers, Header{"if-none-match", c.ifNoneMatch})
	}
	if c.checksum != "" {
		r.Headers = append(r.Headers, Header{"x-amz-checksum-sha256", c.checksum})
	}
	return r
}

func optional[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// sdkPresign presigns the case with the SDK's PresignClient.
func (c sdkCase) sdkPresign(t *testing.T, pc *s3.PresignClient, bucket string) (string, http.Header) {
	t.Helper()
	ctx := context.Background()
	var (
		r   *v4.PresignedHTTPRequest
		err error
	)
	switch c.op {
	case "PutObject":
		r, err = pc.PresignPutObject(ctx, &s3.PutObjectInput{
			Bucket: &bucket, Key: &c.key, ContentType: optional(c.contentType), ContentLength: optional(c.contentLength),
			IfNoneMatch: optional(c.ifNoneMatch), ChecksumSHA256: optional(c.checksum),
		}, s3.WithPresignExpires(c.expires))
	case "GetObject":
		r, err = pc.PresignGetObject(ctx, &s3.GetObjectInput{
			Bucket: &bucket, Key: &c.key, ResponseContentDisposition: optional(c.disposition), ResponseContentType: optional(c.responseType),
		}, s3.WithPresignExpires(c.expires))
	case "UploadPart":
		r, err = pc.PresignUploadPart(ctx, &s3.UploadPartInput{
			Bucket: &bucket, Key: &c.key, PartNumber: &c.part, UploadId: &c.uploadID, ContentLength: optional(c.contentLength),
		}, s3.WithPresignExpires(c.expires))
	default:
		t.Fatalf("unknown op %q", c.op)
	}
	if err != nil {
		t.Fatalf("SDK presign: %v", err)
	}
	return r.URL, r.SignedHeader
}

// newSDKPresignClient is an SDK client configured as the task describes:
// static credentials, checksums only when required, and the v4 signer the
// PresignClient uses by default (no URI escaping for S3) with its clock
// pinned. hoisting false sets DisableHeaderHoisting.
func newSDKPresignClient(tg sdkTarget, creds aws.Credentials, at time.Time, hoisting bool) *s3.PresignClient {
	client := s3.New(s3.Options{
		Region:                     tg.region,
		Credentials:                aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		UsePathStyle:               tg.pathStyle,
		BaseEndpoint:               optional(tg.baseEndpoint),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = true
		o.DisableHeaderHoisting = !hoisting
	})
	return s3.NewPresignClient(client, func(o *s3.PresignOptions) {
		o.Presigner = fixedTimePresigner{signer: signer, at: at}
	})
}

var testCreds = []struct {
	name  string
	creds aws.Credentials
}{
	{"static", aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
	{"session", aws.Credentials{AccessKeyID: "ASIAXAMPLEXAMPLE1234", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
		SessionToken: "IQoJb3JpZ2luX2VjEHYaCWV1LXdlc3QtMSJHMEUCIQ+/tok=="}},
}

// TestPresignMatchesSDK compares Presign with the SDK's PresignClient byte for
// byte, for every target, credential kind and case, at two signing times.
func TestPresignMatchesSDK(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 999_000_000, time.FixedZone("CET", 3600)),
	}
	for _, tg := range sdkTargets {
		p, err := New(tg.target)
		if err != nil {
			t.Fatalf("%s: New: %v", tg.name, err)
		}
		for _, cr := range testCreds {
			for _, at := range times {
				pc := newSDKPresignClient(tg, cr.creds, at, false)
				for _, c := range sdkCases {
					t.Run(tg.name+"/"+cr.name+"/"+at.Format("20060102")+"/"+c.name, func(t *testing.T) {
						want, wantHeaders := c.sdkPresign(t, pc, tg.target.Bucket)
						got, err := p.Presign(cr.creds, at, c.request())
						if err != nil {
							t.Fatalf("Presign: %v", err)
						}
						if got != want {
							t.Errorf("URL differs\n got: %s\nwant: %s", got, want)
						}
						if g, w := signedHeaderNames(t, got), headerNames(wantHeaders); g != w {
							t.Errorf("X-Amz-SignedHeaders = %q, SDK signed headers %q", g, w)
						}
					})
				}
			}
		}
	}
}

// signedHeaderNames returns X-Amz-SignedHeaders of a presigned URL.
func signedHeaderNames(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse %q: %v", rawURL, err)
	}
	return u.Query().Get("X-Amz-SignedHeaders")
}

// headerNames joins the lower-cased names of h, sorted, with ';'.
func headerNames(h http.Header) string {
	var names []string
	for k := range h {
		names = append(names, strings.ToLower(k))
	}
	sort.Strings(names)
	return strings.Join(names, ";")
}
