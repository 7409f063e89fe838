package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3presign/s3presign/infra/devtools/local/localtest"
	"github.com/s3presign/s3presign/infra/devtools/local/stack"
	"github.com/s3presign/s3presign/infra/policy"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m)) }

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// errorCode returns the S3 error code of err, or "" for nil.
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// The signer's S3 user can put and get under the upload prefix and do
// nothing else, as the task role in AWS. Each refusal has a control.
func TestSignerUserIsLimitedToThePrefix(t *testing.T) {
	st := localtest.Stack(t)
	user := st.S3.Client(st.SignerCreds.AccessKeyID, st.SignerCreds.SecretAccessKey)
	c := ctx(t)
	inside := st.Env.UploadPrefix + "direct/ok.txt"
	outside := "elsewhere/no.txt"
	put := func(key string) error {
		_, err := user.PutObject(c, &s3.PutObjectInput{Bucket: &st.Bucket, Key: &key, Body: strings.NewReader("x")})
		return err
	}

	if err := put(inside); err != nil {
		t.Fatalf("control: put under %s: %v", st.Env.UploadPrefix, err)
	}
	if code := errorCode(put(outside)); code != "AccessDenied" {
		t.Errorf("put outside the prefix: %q, want AccessDenied", code)
	}
	_, err := user.ListObjectsV2(c, &s3.ListObjectsV2Input{Bucket: &st.Bucket})
	if code := errorCode(err); code != "AccessDenied" {
		t.Errorf("list the bucket: %q, want AccessDenied", code)
	}
	_, err = user.DeleteObject(c, &s3.DeleteObjectInput{Bucket: &st.Bucket, Key: &inside})
	if code := errorCode(err); code != "AccessDenied" {
		t.Errorf("delete under the prefix: %q, want AccessDenied", code)
	}
	_, err = user.CreateBucket(c, &s3.CreateBucketInput{Bucket: aws.String("another-bucket")})
	if code := errorCode(err); code != "AccessDenied" {
		t.Errorf("create a bucket: %q, want AccessDenied", code)
	}
	// Locally the referer Deny covers header-signed requests too, because
	// versitygw refuses the s3:authType condition that narrows it to
	// presigned URLs in AWS (see the start-up omissions).
	_, err = user.GetObject(c, &s3.GetObjectInput{Bucket: &st.Bucket, Key: &inside})
	if code := errorCode(err); code != "AccessDenied" {
		t.Errorf("header-signed get without Referer: %q, want AccessDenied locally", code)
	}
	if keys := listKeys(t, st); len(keys) != 1 || keys[0] != inside {
		t.Errorf("bucket holds %v, want only %s", keys, inside)
	}
}

// The bucket's CORS rules and policy come from infra/policy for the
// environment (with the page's real origin), not from a copy.
func TestBucketConfigurationComesFromThePolicyPackage(t *testing.T) {
	st := localtest.Stack(t)
	root := st.S3.RootClient()
	c := ctx(t)

	cors, err := root.GetBucketCors(c, &s3.GetBucketCorsInput{Bucket: &st.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(cors.CORSRules) != 1 {
		t.Fatalf("got %d CORS rules, want 1", len(cors.CORSRules))
	}
	origins := cors.CORSRules[0].AllowedOrigins
	if page := stack.Origin(st.PageURL); !contains(origins, page) || contains(origins, stack.Origin(st.OtherPageURL)) {
		t.Errorf("CORS origins %v: want the page %s and not the other origin", origins, page)
	}

	pol, err := root.GetBucketPolicy(c, &s3.GetBucketPolicyInput{Bucket: &st.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Sid       string
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil {
		t.Fatalf("policy %s: %v", aws.ToString(pol.Policy), err)
	}
	var sids []string
	for _, s := range doc.Statement {
		sids = append(sids, s.Sid)
	}
	want, _ := policy.ForVersityGW(st.Env, st.Bucket, st.SignerCreds.AccessKeyID)
	var wantSids []string
	for _, s := range want.Statement {
		wantSids = append(wantSids, s.Sid)
	}
	if len(wantSids) == 0 || strings.Join(sids, " ") != strings.Join(wantSids, " ") {
		t.Errorf("statements %v, want %v (infra/policy's ForVersityGW)", sids, wantSids)
	}
	if len(st.Omitted) == 0 {
		t.Error("no omissions reported: the versitygw transform must say what it left out")
	}
}

// A data directory keeps the bucket's objects and keys across runs; the
// second start finds the bucket, recreates the signer user with new keys,
// and the signer works.
func TestDataDirKeepsObjectsAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	keep := func(o *stack.Options) { o.DataDir = dir }
	key := "uploads/persisted/hello.txt"

	first := localtest.Stack(t, keep)
	if _, err := first.S3.RootClient().PutObject(ctx(t), &s3.PutObjectInput{Bucket: &first.Bucket, Key: &key, Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	firstSecret := first.SignerCreds.SecretAccessKey
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := localtest.Stack(t, keep)
	if keys := listKeys(t, second); len(keys) != 1 || keys[0] != key {
		t.Errorf("after a restart the bucket holds %v, want [%s]", keys, key)
	}
	if second.SignerCreds.SecretAccessKey == firstSecret {
		t.Error("the signer user kept its secret across runs, want a new one")
	}
	if _, err := os.Stat(filepath.Join(dir, "s3", second.Bucket)); err != nil {
		t.Errorf("bucket directory not in the data directory: %v", err)
	}

	// The signer of the second run issues a URL that S3 accepts.
	body := []byte("second run")
	var up struct {
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	}
	reqBody, _ := json.Marshal(map[string]any{"fileName": "a.pdf", "contentType": "application/pdf", "size": len(body)})
	resp, err := http.Post(second.SignerURL+"/v1/uploads", "application/json", bytes.NewReader(reqBody))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/uploads: %d %s", resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &up); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, up.URL, bytes.NewReader(body))
	for k, v := range up.Headers {
		if !strings.EqualFold(k, "Content-Length") {
			req.Header.Set(k, v)
		}
	}
	put, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	put.Body.Close()
	if put.StatusCode != http.StatusOK {
		t.Errorf("PUT with the second run's URL: %d, want 200", put.StatusCode)
	}
}

// Start refuses an other-origin page on an origin the environment allows:
// the tests of a disallowed origin would prove nothing. Control: the same
// start without that origin in the list gets past the check (and fails
// later, at the missing signer binary).
func TestOtherOriginMustNotBeAllowed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	other := ln.Addr().String()
	ln.Close()

	start := func(origins []string) error {
		env := localtest.DevEnv(t)
		env.AllowedOrigins = origins
		st, err := stack.Start(ctx(t), stack.Options{
			Env: env, SignerBin: filepath.Join(t.TempDir(), "no-signer"),
			PageAddr: "127.0.0.1:0", OtherPageAddr: other,
		})
		if err == nil {
			st.Close()
		}
		return err
	}
	err = start([]string{"http://127.0.0.1:8081", "http://" + other})
	if err == nil || !strings.Contains(err.Error(), "is an allowed origin") {
		t.Errorf("other page on an allowed origin: got %v, want an 'is an allowed origin' error", err)
	}
	err = start([]string{"http://127.0.0.1:8081"})
	if err == nil || strings.Contains(err.Error(), "is an allowed origin") {
		t.Errorf("control: got %v, want a later error (no signer binary)", err)
	}
}

func listKeys(t *testing.T, st *stack.Stack) []string {
	t.Helper()
	out, err := st.S3.RootClient().ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &st.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Extra page routes (for other browser tests, such as an Uppy page) are
// served on both page origins, next to the upload page.
func TestPageRoutesAreServedOnBothOrigins(t *testing.T) {
	st := localtest.Stack(t, func(o *stack.Options) {
		o.PageRoutes = map[string]http.Handler{"GET /extra/": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "extra page")
		})}
	})
	for _, base := range []string{st.PageURL, st.OtherPageURL} {
		for path, want := range map[string]string{"extra/x": "extra page", "config.js": "S3PRESIGN_PAGE"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
				t.Errorf("GET %s%s: %d %q, want 200 with %q", base, path, resp.StatusCode, body, want)
			}
		}
	}
}
