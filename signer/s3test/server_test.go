package s3test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func putGet(t *testing.T, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	ctx := t.Context()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("GetObject %s/%s = %q, want %q", bucket, key, got, body)
	}
}

func TestStartPutGet(t *testing.T) {
	s := Start(t)
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") || s.Region != "us-east-1" {
		t.Errorf("Endpoint %q Region %q, want http://127.0.0.1:PORT and us-east-1", s.Endpoint, s.Region)
	}
	if within(s.IAMDir, s.DataDir) {
		t.Errorf("IAM dir %s is inside data dir %s", s.IAMDir, s.DataDir)
	}
	if err := s.CreateBucket(s.RootCredentials(), "root-bucket"); err != nil {
		t.Fatal(err)
	}
	putGet(t, s.RootClient(), "root-bucket", "dir/hello world.txt", []byte("hello"))
}

func TestCreateUser(t *testing.T) {
	s := Start(t)
	if err := s.CreateUser("alice", "alice-secret-0123456789", RoleUserPlus); err != nil {
		t.Fatal(err)
	}
	alice := aws.Credentials{AccessKeyID: "alice", SecretAccessKey: "alice-secret-0123456789"}
	if err := s.CreateBucket(alice, "alice-bucket"); err != nil {
		t.Fatal(err)
	}
	putGet(t, s.Client(alice.AccessKeyID, alice.SecretAccessKey), "alice-bucket", "k", []byte("from alice"))

	// A plain user may not create buckets; a wrong secret is refused.
	if err := s.CreateUser("bob", "bob-secret-0123456789", RoleUser); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(aws.Credentials{AccessKeyID: "bob", SecretAccessKey: "bob-secret-0123456789"}, "bob-bucket"); err == nil {
		t.Error("user with role user created a bucket")
	}
	if err := s.CreateBucket(aws.Credentials{AccessKeyID: "alice", SecretAccessKey: "wrong"}, "alice-bucket-2"); err == nil {
		t.Error("wrong secret created a bucket")
	}
	// Ownership moves with the admin CLI.
	if err := s.ChangeBucketOwner("alice-bucket", "bob"); err != nil {
		t.Fatal(err)
	}
	putGet(t, s.Client("bob", "bob-secret-0123456789"), "alice-bucket", "k2", []byte("from bob"))

	if err := s.CreateUser("carol", "carol-secret", "superuser"); err == nil {
		t.Error("unknown role accepted")
	}
}

// TestRunPersistentDataDir is the local stack's use: a fixed data and IAM
// dir survive a restart, users and objects included.
func TestRunPersistentDataDir(t *testing.T) {
	root := t.TempDir()
	cfg := Config{DataDir: filepath.Join(root, "data"), IAMDir: filepath.Join(root, "iam"), RootAccessKey: "ROOTKEY", RootSecret: "ROOTSECRET123456"}
	s, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser("dave", "dave-secret-0123456789", RoleUserPlus); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(aws.Credentials{AccessKeyID: "dave", SecretAccessKey: "dave-secret-0123456789"}, "kept"); err != nil {
		t.Fatal(err)
	}
	putGet(t, s.Client("dave", "dave-secret-0123456789"), "kept", "k", []byte("persisted"))
	endpoint := s.Endpoint
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if resp, err := http.Get(endpoint + healthPath); err == nil {
		resp.Body.Close()
		t.Fatalf("server still answers after Close: %s", resp.Status)
	}

	s2, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	out, err := s2.Client("dave", "dave-secret-0123456789").GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("kept"), Key: aws.String("k")})
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != "persisted" {
		t.Errorf("after restart got %q, want %q", got, "persisted")
	}
}

func TestRunRejects(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"public address", Config{Addr: "0.0.0.0:7070"}, "127.0.0.1"},
		{"iam inside data", Config{DataDir: data, IAMDir: filepath.Join(data, "iam")}, "inside data dir"},
		{"missing binary", Config{Bin: "/nonexistent/versitygw"}, "start /nonexistent/versitygw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Run(context.Background(), tt.cfg)
			if err == nil {
				s.Close()
				t.Fatal("Run succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestFindBinary(t *testing.T) {
	t.Run("control", func(t *testing.T) {
		bin, err := FindBinary()
		if err != nil || !filepath.IsAbs(bin) {
			t.Fatalf("FindBinary = %q, %v", bin, err)
		}
	})
	t.Run("env dir without binary", func(t *testing.T) {
		t.Setenv(BinDirEnv, t.TempDir())
		_, err := FindBinary()
		if !errors.Is(err, errNoBinary) || !strings.Contains(err.Error(), "run `make tools` first") {
			t.Errorf("error %v, want one saying run `make tools` first", err)
		}
	})
	t.Run("outside the repository", func(t *testing.T) {
		t.Setenv(BinDirEnv, "")
		t.Chdir(t.TempDir())
		if _, err := FindBinary(); !errors.Is(err, errNoBinary) {
			t.Errorf("error %v, want errNoBinary", err)
		}
	})
}
