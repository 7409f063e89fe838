package presign

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestObjectURLIsPresignedURLWithoutQuery(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, target := range []Target{
		{Endpoint: "http://127.0.0.1:7070", Region: "us-east-1", Bucket: "b-1", PathStyle: true},
		{Endpoint: "https://s3.eu-west-1.amazonaws.com:443", Region: "eu-west-1", Bucket: "b-2"},
	} {
		p, err := New(target)
		if err != nil {
			t.Fatal(err)
		}
		if p.Bucket() != target.Bucket {
			t.Errorf("Bucket() = %q, want %q", p.Bucket(), target.Bucket)
		}
		for _, key := range []string{"uploads/a b/ü+~.png", "k"} {
			u, err := p.Presign(creds, now, Request{Method: "GET", Key: key, Expires: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			want, _, _ := strings.Cut(u, "?")
			if got := p.ObjectURL(key); got != want {
				t.Errorf("ObjectURL(%q) = %q, want %q", key, got, want)
			}
		}
	}
}
