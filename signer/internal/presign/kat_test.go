package presign

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestAWSDocsKnownAnswer reproduces the presigned GET example of the S3
// documentation ("Authenticating Requests: Using Query Parameters (AWS
// Signature Version 4)"): examplebucket/test.txt signed on 2013-05-24 for
// 86400 seconds.
func TestAWSDocsKnownAnswer(t *testing.T) {
	p, err := New(Target{Endpoint: "https://s3.amazonaws.com", Region: "us-east-1", Bucket: "examplebucket"})
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	got, err := p.Presign(creds, time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC), Request{Method: "GET", Key: "test.txt", Expires: 86400 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const want = "https://examplebucket.s3.amazonaws.com/test.txt" +
		"?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
