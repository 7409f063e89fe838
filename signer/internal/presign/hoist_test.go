package presign

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestDefaultSDKPresignClientHoists documents why Presign exists instead of
// the default PresignClient: with its default v4 signer, every x-amz-* header
// outside the SDK's own allow list leaves the signed headers and becomes a
// query parameter, which S3 does not compare with any header the client
// sends. Presign keeps every header it is given as a signed header.
//
// Observed with aws-sdk-go-v2 v1.48.0 / service/s3 v1.114.10:
// x-amz-checksum-sha256 is on that allow list and stays signed. Releases
// before aws-sdk-go-v2 v1.43.7 hoisted it (its CHANGELOG: "Make
// x-amz-checksum-* headers on presigner always show up as headers"). The rows
// below pin what this version does, so an SDK upgrade that changes it fails
// here.
func TestDefaultSDKPresignClientHoists(t *testing.T) {
	client := s3.New(s3.Options{
		Region:                     "us-east-1",
		Credentials:                aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds[0].creds, nil }),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
	pc := s3.NewPresignClient(client) // the default: header hoisting on
	bucket, key := "my-bucket", "k.bin"
	tests := []struct {
		name          string
		in            s3.PutObjectInput
		wantSigned    string   // X-Amz-SignedHeaders from the SDK
		wantHoisted   []string // query parameters the SDK made of headers
		wantSignedSum string   // value of a signed x-amz-checksum-sha256, if any
	}{
		{
			name:          "checksum value stays signed in this SDK version",
			in:            s3.PutObjectInput{Bucket: &bucket, Key: &key, ChecksumSHA256: aws.String(emptySHA256)},
			wantSigned:    "host;x-amz-checksum-sha256",
			wantSignedSum: emptySHA256,
		},
		{
			name:        "expected bucket owner is hoisted",
			in:          s3.PutObjectInput{Bucket: &bucket, Key: &key, ExpectedBucketOwner: aws.String("123456789012")},
			wantSigned:  "host",
			wantHoisted: []string{"x-amz-expected-bucket-owner"},
		},
		{
			// Asking for an algorithm without a value makes the SDK sign the
			// checksum of the empty presign body: the URL then accepts only an
			// empty upload. The algorithm header itself is hoisted.
			name:          "checksum algorithm signs the empty body's digest and hoists the algorithm",
			in:            s3.PutObjectInput{Bucket: &bucket, Key: &key, ChecksumAlgorithm: types.ChecksumAlgorithmSha256},
			wantSigned:    "host;x-amz-checksum-sha256",
			wantHoisted:   []string{"X-Amz-Sdk-Checksum-Algorithm"},
			wantSignedSum: emptySHA256,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := pc.PresignPutObject(context.Background(), &tt.in)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(r.URL)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if got := q.Get("X-Amz-SignedHeaders"); got != tt.wantSigned {
				t.Errorf("SDK X-Amz-SignedHeaders = %q, want %q", got, tt.wantSigned)
			}
			for _, h := range tt.wantHoisted {
				if !q.Has(h) {
					t.Errorf("SDK URL has no query parameter %q: %s", h, redact(r.URL))
				}
			}
			if got := r.SignedHeader.Get("X-Amz-Checksum-Sha256"); got != tt.wantSignedSum {
				t.Errorf("SDK signed x-amz-checksum-sha256 = %q, want %q", got, tt.wantSignedSum)
			}
		})
	}

	// The same x-amz-* header given to Presign stays a signed header.
	p, err := New(Target{Endpoint: "https://s3.us-east-1.amazonaws.com", Region: "us-east-1", Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Presign(testCreds[0].creds, time.Now(), Request{Method: "PUT", Key: key, Expires: time.Minute, Headers: []Header{
		{"x-amz-expected-bucket-owner", "123456789012"}, {"x-amz-checksum-sha256", emptySHA256},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if sh := signedHeaderNames(t, got); sh != "host;x-amz-checksum-sha256;x-amz-expected-bucket-owner" {
		t.Errorf("Presign X-Amz-SignedHeaders = %q, want every given header signed", sh)
	}
	if strings.Contains(strings.ToLower(got), "x-amz-expected-bucket-owner=") {
		t.Errorf("Presign hoisted a header into the query: %s", redact(got))
	}
}

// redact drops the signature from a URL for test logs.
func redact(u string) string {
	if i := strings.Index(u, "X-Amz-Signature="); i >= 0 {
		return u[:i] + "X-Amz-Signature=REDACTED"
	}
	return u
}
