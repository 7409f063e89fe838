package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/creds"
	"github.com/s3presign/s3presign/signer/internal/presign"
	"github.com/s3presign/s3presign/signer/internal/scan"
	"github.com/s3presign/s3presign/signer/s3test"
	"github.com/s3presign/s3presign/signer/uploadevent"
)

// statusServer is the signer against a versitygw bucket with API keys for
// alice and bob, its HEAD client signing as root; check turns the scan
// check on.
func statusServer(t *testing.T, f *scanFixture, check bool) (*testServer, map[string]string) {
	t.Helper()
	keys, a := testKeys(t, "alice", "bob")
	p, err := presign.New(presign.Target{Endpoint: f.srv.Endpoint, Region: f.srv.Region, Bucket: f.bucket, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	root := f.srv.RootCredentials()
	s := newTestServer(t, func(d *Deps) {
		d.Presigner = p
		d.Creds = creds.New(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return root, nil }))
		d.Clock = time.Now
		d.Auth = a
		d.Head = f.client
		if check {
			chk, err := scan.New(f.client, f.bucket, 0)
			if err != nil {
				t.Fatal(err)
			}
			d.Scan = chk
		}
	})
	return s, keys
}

func TestUploadStatus(t *testing.T) {
	f := newScanFixture(t)
	aliceKey := "uploads/alice/" + zeroID + "/cat.png"
	if _, err := f.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(aliceKey),
		Body: strings.NewReader("twelve bytes"), ContentType: aws.String("image/png")}); err != nil {
		t.Fatal(err)
	}
	s, keys := statusServer(t, f, false)
	status := func(caller, key string) *httptest.ResponseRecorder {
		return s.do("POST", "/v1/uploads/status", "application/json", `{"key":"`+key+`"}`, bearer(keys[caller])...)
	}

	t.Run("own object: 200 with size and type, no URL", func(t *testing.T) {
		w := status("alice", aliceKey)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var resp uploadStatusResponse
		decode(t, w, &resp)
		if resp.Key != aliceKey || resp.Size != 12 || resp.ContentType != "image/png" || resp.ETag == "" ||
			resp.Scan != uploadevent.ScanOff || !resp.Ready || resp.LastModified.IsZero() {
			t.Fatalf("answer %+v", resp)
		}
		if strings.Contains(w.Body.String(), "http") || strings.Contains(w.Body.String(), "X-Amz") {
			t.Fatalf("answer carries a URL: %s", w.Body)
		}
	})
	t.Run("another caller's key: 403", func(t *testing.T) {
		wantError(t, status("bob", aliceKey), http.StatusForbidden, apierr.Forbidden)
	})
	t.Run("missing key: 404", func(t *testing.T) {
		wantError(t, status("alice", "uploads/alice/"+zeroID+"/never.png"), http.StatusNotFound, apierr.NotFound)
	})
	t.Run("bad key: 400", func(t *testing.T) {
		wantError(t, status("alice", "uploads/alice/../x.png"), http.StatusBadRequest, apierr.Invalid)
	})
	t.Run("no credentials: 401", func(t *testing.T) {
		w := s.do("POST", "/v1/uploads/status", "application/json", `{"key":"`+aliceKey+`"}`)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}

func TestUploadStatusScanStates(t *testing.T) {
	f := newScanFixture(t)
	// The fixture's keys are anonymous-caller keys; mode none reads them.
	p, err := presign.New(presign.Target{Endpoint: f.srv.Endpoint, Region: f.srv.Region, Bucket: f.bucket, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	chk, err := scan.New(f.client, f.bucket, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(d *Deps) { d.Presigner, d.Head, d.Scan = p, f.client, chk })
	for name, want := range map[string]struct {
		scan  string
		ready bool
	}{
		"clean.png":   {scan.StatusClean, true},
		"pending.png": {uploadevent.ScanPending, false},
		"threat.png":  {scan.StatusThreats, false},
	} {
		w := s.postJSON("/v1/uploads/status", `{"key":"`+scanKey(name)+`"}`)
		var resp uploadStatusResponse
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body)
		}
		decode(t, w, &resp)
		if resp.Scan != want.scan || resp.Ready != want.ready {
			t.Errorf("%s: scan %q ready %v, want %q %v", name, resp.Scan, resp.Ready, want.scan, want.ready)
		}
	}
}

func TestUploadStatusS3Down(t *testing.T) {
	srv := s3test.Start(t)
	if err := srv.CreateBucket(srv.RootCredentials(), scanBucket); err != nil {
		t.Fatal(err)
	}
	client := srv.RootClient()
	s := newTestServer(t, func(d *Deps) { d.Head = client })
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	wantError(t, s.postJSON("/v1/uploads/status", `{"key":"`+scanKey("x.png")+`"}`), http.StatusServiceUnavailable, apierr.Unavailable)
}

func TestUploadStatusRouteOnlyWithHead(t *testing.T) {
	s := newTestServer(t, nil)
	if w := s.postJSON("/v1/uploads/status", `{"key":"`+scanKey("x.png")+`"}`); w.Code != http.StatusNotFound {
		t.Fatalf("without Head: %d %s", w.Code, w.Body)
	}
}
