package scan

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3presign/s3presign/signer/s3test"
)

const bucket = "scan-bucket"

// putTagged writes key and, unless status is "", tags it as GuardDuty would.
func putTagged(t *testing.T, c *s3.Client, key, status string, extra ...types.Tag) {
	t.Helper()
	ctx := t.Context()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: &key, Body: strings.NewReader("file body")}); err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
	tags := append([]types.Tag(nil), extra...)
	if status != "" {
		tags = append(tags, types.Tag{Key: aws.String(TagKey), Value: aws.String(status)})
	}
	if len(tags) == 0 {
		return
	}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: &key,
		Tagging: &types.Tagging{TagSet: tags}}); err != nil {
		t.Fatalf("PutObjectTagging %s: %v", key, err)
	}
}

func TestCheckAgainstVersitygw(t *testing.T) {
	srv := s3test.Start(t)
	if err := srv.CreateBucket(srv.RootCredentials(), bucket); err != nil {
		t.Fatal(err)
	}
	c := srv.RootClient()
	putTagged(t, c, "uploads/pending.png", "")
	putTagged(t, c, "uploads/other-tags.png", "", types.Tag{Key: aws.String("project"), Value: aws.String("x")})
	putTagged(t, c, "uploads/clean.png", StatusClean)
	putTagged(t, c, "uploads/threat.png", StatusThreats)
	putTagged(t, c, "uploads/unsupported.zip", StatusUnsupported)
	putTagged(t, c, "uploads/failed.png", StatusFailed)
	putTagged(t, c, "uploads/denied.png", StatusAccessDenied)

	chk, err := New(c, bucket, 0)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		key     string
		status  string
		verdict Verdict
	}{
		{"uploads/pending.png", "", Pending},
		{"uploads/other-tags.png", "", Pending}, // other tags are not a scan result
		{"uploads/clean.png", StatusClean, Clean},
		{"uploads/threat.png", StatusThreats, Blocked},
		{"uploads/unsupported.zip", StatusUnsupported, Blocked},
		{"uploads/failed.png", StatusFailed, Blocked},
		{"uploads/denied.png", StatusAccessDenied, Blocked},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			res, err := chk.Check(t.Context(), c.key)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.status || res.Verdict() != c.verdict {
				t.Fatalf("Check = %+v (verdict %d), want status %q verdict %d", res, res.Verdict(), c.status, c.verdict)
			}
		})
	}

	t.Run("missing object", func(t *testing.T) {
		_, err := chk.Check(t.Context(), "uploads/never-written.png")
		if !errors.Is(err, ErrNoSuchObject) {
			t.Fatalf("Check of a missing key = %v, want ErrNoSuchObject", err)
		}
	})

	t.Run("a status set later is seen", func(t *testing.T) {
		// Pending, then GuardDuty tags it: the next check sees the result.
		putTagged(t, c, "uploads/later.png", "")
		if res, err := chk.Check(t.Context(), "uploads/later.png"); err != nil || res.Verdict() != Pending {
			t.Fatalf("before tagging: %+v, %v; want pending", res, err)
		}
		if _, err := c.PutObjectTagging(t.Context(), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("uploads/later.png"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String(TagKey), Value: aws.String(StatusClean)}}}}); err != nil {
			t.Fatal(err)
		}
		if res, err := chk.Check(t.Context(), "uploads/later.png"); err != nil || res.Verdict() != Clean {
			t.Fatalf("after tagging: %+v, %v; want clean", res, err)
		}
	})

	t.Run("wrong credentials are not unavailability", func(t *testing.T) {
		bad, _ := New(srv.Client("nobody", "wrong-secret-0123456789"), bucket, 0)
		_, err := bad.Check(t.Context(), "uploads/clean.png")
		if err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNoSuchObject) {
			t.Fatalf("Check with unknown credentials = %v, want a plain (internal) error", err)
		}
	})
}

func TestCheckServerDown(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.RootClient()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	chk, _ := New(c, bucket, 2*time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := chk.Check(ctx, "uploads/x.png"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Check with the server down = %v, want ErrUnavailable", err)
	}
}

func TestNewNeedsClientAndBucket(t *testing.T) {
	if _, err := New(nil, bucket, 0); err == nil {
		t.Error("New(nil client) succeeded")
	}
	if _, err := New(&s3.Client{}, "", 0); err == nil {
		t.Error("New(no bucket) succeeded")
	}
}
