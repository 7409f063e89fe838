package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3presign/s3presign/signer/config"
)

// TestE2EScanCheck runs the real signer with S3PRESIGN_SCAN_CHECK=true
// against versitygw: a file uploaded through the signer is "scan pending"
// (409) until it carries GuardDuty's tag, a clean tag gets a URL that
// downloads it, and a threat tag is refused (403). The signer reads the tag
// with its own client and credentials.
func TestE2EScanCheck(t *testing.T) {
	e := startS3(t)
	p := startSigner(t, e.env(map[string]string{config.EnvScanCheck: "true"}), runDeps{})
	body := []byte("a file GuardDuty has not looked at yet")
	u := upload(t, p, map[string]any{"fileName": "scan.png", "contentType": "image/png", "size": len(body)})
	status, b := put(t, u, body)
	wantS3(t, "upload", status, 200, b)
	ask := func() (int, []byte) {
		return call(t, "POST", p.URL+"/v1/downloads", jsonBody(t, map[string]any{"key": u.Key}))
	}
	tag := func(value string) {
		t.Helper()
		_, err := e.client.PutObjectTagging(context.Background(), &s3.PutObjectTaggingInput{
			Bucket: aws.String(e2eBucket), Key: aws.String(u.Key),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String(config.ScanStatusTag), Value: aws.String(value)}}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	if status, b := ask(); status != 409 || errorCode(b) != "conflict" {
		t.Fatalf("pending: %d %s, want 409 conflict", status, b)
	}
	tag(config.ScanStatusClean)
	var d downloadResp
	callJSON(t, "POST", p.URL+"/v1/downloads", jsonBody(t, map[string]any{"key": u.Key}), 200, &d)
	status, got, _ := s3Do(t, "GET", d.URL, nil, nil)
	wantS3(t, "download of the clean file", status, 200, got)
	if string(got) != string(body) {
		t.Fatalf("downloaded %q, want %q", got, body)
	}
	tag("THREATS_FOUND")
	if status, b := ask(); status != 403 || errorCode(b) != "forbidden" {
		t.Fatalf("threat: %d %s, want 403 forbidden", status, b)
	}
}

// TestE2EScanCheckOff is the control: without the setting the signer issues
// the URL for an untagged file (the bucket policy is then the guard).
func TestE2EScanCheckOff(t *testing.T) {
	e := startS3(t)
	p := startSigner(t, e.env(nil), runDeps{})
	body := []byte("untagged")
	u := upload(t, p, map[string]any{"fileName": "plain.png", "contentType": "image/png", "size": len(body)})
	status, b := put(t, u, body)
	wantS3(t, "upload", status, 200, b)
	download(t, p, map[string]any{"key": u.Key})
}
