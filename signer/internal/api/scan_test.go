package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/creds"
	"github.com/s3presign/s3presign/signer/internal/presign"
	"github.com/s3presign/s3presign/signer/internal/scan"
	"github.com/s3presign/s3presign/signer/s3test"
)

// scanFixture is versitygw with one bucket holding objects in every scan
// state, as GuardDuty would leave them.
type scanFixture struct {
	srv    *s3test.Server
	client *s3.Client
	bucket string
}

const scanBucket = "scan-test-bucket"

// scanKey is a v1 key (anonymous caller) for a file name.
func scanKey(name string) string { return "uploads/" + zeroID + "/" + name }

func newScanFixture(t *testing.T) *scanFixture {
	t.Helper()
	srv := s3test.Start(t)
	if err := srv.CreateBucket(srv.RootCredentials(), scanBucket); err != nil {
		t.Fatal(err)
	}
	f := &scanFixture{srv: srv, client: srv.RootClient(), bucket: scanBucket}
	for name, status := range map[string]string{
		"pending.png":     "",
		"clean.png":       scan.StatusClean,
		"threat.png":      scan.StatusThreats,
		"unsupported.png": scan.StatusUnsupported,
		"failed.png":      scan.StatusFailed,
	} {
		f.put(t, scanKey(name), status)
	}
	// The compat route's key for fileName=compat-pending&extension=png.
	f.put(t, "uploads/compat-pending.png", "")
	f.put(t, "uploads/compat-clean.png", scan.StatusClean)
	return f
}

// put writes key with a known body and, unless status is "", the scan tag.
func (f *scanFixture) put(t *testing.T, key, status string) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(key), Body: strings.NewReader("body of " + key)}
	if _, err := f.client.PutObject(t.Context(), in); err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
	if status == "" {
		return
	}
	tags := &types.Tagging{TagSet: []types.Tag{{Key: aws.String(scan.TagKey), Value: aws.String(status)}}}
	if _, err := f.client.PutObjectTagging(t.Context(), &s3.PutObjectTaggingInput{Bucket: aws.String(f.bucket), Key: aws.String(key), Tagging: tags}); err != nil {
		t.Fatalf("PutObjectTagging %s: %v", key, err)
	}
}

// server is the signer against the fixture's bucket, signing as root, with
// the scan check on (check true) or off.
func (f *scanFixture) server(t *testing.T, check bool) *testServer {
	t.Helper()
	p, err := presign.New(presign.Target{Endpoint: f.srv.Endpoint, Region: f.srv.Region, Bucket: f.bucket, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	root := f.srv.RootCredentials()
	return newTestServer(t, func(d *Deps) {
		d.Presigner = p
		d.Creds = creds.New(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return root, nil }))
		d.Clock = time.Now
		if check {
			chk, err := scan.New(f.client, f.bucket, 0)
			if err != nil {
				t.Fatal(err)
			}
			d.Scan = chk
		}
	})
}

// fetch GETs a presigned URL and returns the status and body.
func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestScanCheckOnDownloads(t *testing.T) {
	f := newScanFixture(t)
	s := f.server(t, true)
	download := func(name string) *httptest.ResponseRecorder {
		return s.postJSON("/v1/downloads", `{"key":"`+scanKey(name)+`"}`)
	}

	t.Run("clean file gets a working URL", func(t *testing.T) {
		w := download("clean.png")
		var resp downloadResponse
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		decode(t, w, &resp)
		if status, body := fetch(t, resp.URL); status != 200 || body != "body of "+scanKey("clean.png") {
			t.Fatalf("GET the issued URL: %d %q", status, body)
		}
	})
	t.Run("pending file is 409 scan pending", func(t *testing.T) {
		w := download("pending.png")
		e := wantError(t, w, http.StatusConflict, apierr.Conflict)
		if !strings.Contains(e.Message, "scan pending") || w.Header().Get("Retry-After") == "" {
			t.Fatalf("message %q, Retry-After %q; want scan pending with a Retry-After", e.Message, w.Header().Get("Retry-After"))
		}
	})
	t.Run("threat is 403 threat found", func(t *testing.T) {
		e := wantError(t, download("threat.png"), http.StatusForbidden, apierr.Forbidden)
		if !strings.Contains(e.Message, "threat found") {
			t.Fatalf("message %q, want threat found", e.Message)
		}
	})
	for _, name := range []string{"unsupported.png", "failed.png"} {
		t.Run(name+" is 403", func(t *testing.T) {
			e := wantError(t, download(name), http.StatusForbidden, apierr.Forbidden)
			if !strings.Contains(e.Message, "could not vouch") {
				t.Fatalf("message %q", e.Message)
			}
		})
	}
	t.Run("missing object is 404", func(t *testing.T) {
		wantError(t, download("never-uploaded.png"), http.StatusNotFound, apierr.NotFound)
	})
	t.Run("tagged clean later, then served", func(t *testing.T) {
		f.put(t, scanKey("later.png"), "")
		wantError(t, download("later.png"), http.StatusConflict, apierr.Conflict)
		f.put(t, scanKey("later.png"), scan.StatusClean)
		if w := download("later.png"); w.Code != http.StatusOK {
			t.Fatalf("after the clean tag: %d %s", w.Code, w.Body)
		}
	})
	t.Run("compat access route checks too", func(t *testing.T) {
		wantError(t, s.do("GET", "/signed-url-access?fileName=compat-pending&extension=png", "", ""), http.StatusConflict, apierr.Conflict)
		if w := s.do("GET", "/signed-url-access?fileName=compat-clean&extension=png", "", ""); w.Code != http.StatusOK {
			t.Fatalf("compat clean: %d %s", w.Code, w.Body)
		}
	})
}

func TestScanCheckOffIssuesURLsForAnyState(t *testing.T) {
	// Control: with the check off, the signer does not look; the bucket
	// policy is then what stops an unscanned file (tested in infra).
	f := newScanFixture(t)
	s := f.server(t, false)
	for _, name := range []string{"pending.png", "threat.png", "never-uploaded.png"} {
		if w := s.postJSON("/v1/downloads", `{"key":"`+scanKey(name)+`"}`); w.Code != http.StatusOK {
			t.Errorf("%s with the check off: %d %s", name, w.Code, w.Body)
		}
	}
}

func TestScanCheckS3Down(t *testing.T) {
	f := newScanFixture(t)
	s := f.server(t, true)
	if err := f.srv.Close(); err != nil {
		t.Fatal(err)
	}
	w := s.postJSON("/v1/downloads", `{"key":"`+scanKey("clean.png")+`"}`)
	wantError(t, w, http.StatusServiceUnavailable, apierr.Unavailable)
}
