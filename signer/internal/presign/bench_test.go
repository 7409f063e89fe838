package presign

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// benchRequests are the three shapes the service issues.
var benchRequests = map[string]Request{
	"PUT": {Method: "PUT", Key: "uploads/01hx3k9r7q2w5e8t4y6u1i0o3p/holiday photo.jpg", Expires: 15 * time.Minute,
		Query: []Param{{"x-id", "PutObject"}},
		Headers: []Header{
			{"content-type", "image/jpeg"}, {"content-length", "2483921"}, {"if-none-match", "*"},
			{"x-amz-checksum-sha256", "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="},
		}},
	"GET": {Method: "GET", Key: "uploads/01hx3k9r7q2w5e8t4y6u1i0o3p/holiday photo.jpg", Expires: 15 * time.Minute,
		Query: []Param{{"x-id", "GetObject"}, {"response-content-disposition", `attachment; filename="holiday photo.jpg"; filename*=UTF-8''holiday%20photo.jpg`}}},
	"UploadPart": {Method: "PUT", Key: "uploads/01hx3k9r7q2w5e8t4y6u1i0o3p/video.mp4", Expires: time.Hour,
		Query:   []Param{{"x-id", "UploadPart"}, {"partNumber", "17"}, {"uploadId", "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"}},
		Headers: []Header{{"content-length", "5242880"}}},
}

// ecsLikeToken is as long as the session tokens of ECS task-role credentials
// (about 1 KB of base64), which every URL then carries.
var ecsLikeToken = strings.Repeat("IQoJb3JpZ2luX2VjEHYaCWV1LXdlc3QtMSJHMEUCIQ+/", 25)[:1096] + "=="

// BenchmarkPresign measures one presign per shape with static credentials
// and a warm signing key; PUTSessionToken is the PUT with an ECS-sized
// session token.
func BenchmarkPresign(b *testing.B) {
	p := newTestPresigner(b)
	static := testCreds[0].creds
	session := aws.Credentials{AccessKeyID: "ASIAXAMPLEXAMPLE1234", SecretAccessKey: static.SecretAccessKey, SessionToken: ecsLikeToken}
	for _, bc := range []struct {
		name, req string
		creds     aws.Credentials
	}{
		{"PUT", "PUT", static}, {"GET", "GET", static}, {"UploadPart", "UploadPart", static},
		{"PUTSessionToken", "PUT", session},
	} {
		r := benchRequests[bc.req]
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Presign(bc.creds, testTime, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPresignPost measures one browser POST policy with a checksum.
func BenchmarkPresignPost(b *testing.B) {
	p := newTestPresigner(b)
	creds := testCreds[0].creds
	in := PostInput{Key: "uploads/01hx3k9r7q2w5e8t4y6u1i0o3p/holiday photo.jpg", ContentType: "image/jpeg",
		MaxSize: 10 << 20, ChecksumSHA256: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", Expires: 15 * time.Minute}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.PresignPost(creds, testTime, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSDKPresign is the same PUT through the SDK's PresignClient, for
// comparison.
func BenchmarkSDKPresign(b *testing.B) {
	tg := sdkTargets[3]
	pc := newSDKPresignClient(tg, testCreds[0].creds, testTime, false)
	c := sdkCase{op: "PutObject", key: benchRequests["PUT"].Key, contentType: "image/jpeg", contentLength: 2483921,
		ifNoneMatch: "*", checksum: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", expires: 15 * time.Minute}
	bucket := tg.target.Bucket
	in := &s3.PutObjectInput{Bucket: &bucket, Key: &c.key, ContentType: &c.contentType, ContentLength: &c.contentLength,
		IfNoneMatch: &c.ifNoneMatch, ChecksumSHA256: &c.checksum}
	b.Run("PUT", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pc.PresignPutObject(context.Background(), in, s3.WithPresignExpires(c.expires)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
