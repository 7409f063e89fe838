package presign

import (
	"context"
	"testing"
	"time"

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

// BenchmarkPresign measures one presign per shape with session credentials
// (the ECS task role case) and a warm signing key.
func BenchmarkPresign(b *testing.B) {
	p := newTestPresigner(b)
	creds := testCreds[1].creds
	for _, name := range []string{"PUT", "GET", "UploadPart"} {
		r := benchRequests[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Presign(creds, testTime, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPresignPost measures one browser POST policy with a checksum.
func BenchmarkPresignPost(b *testing.B) {
	p := newTestPresigner(b)
	creds := testCreds[1].creds
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
	pc := newSDKPresignClient(tg, testCreds[1].creds, testTime, false)
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
