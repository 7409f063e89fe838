package main

import (
	"bytes"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/devtools/local/localtest"
	"github.com/s3presign/s3presign/infra/devtools/local/stack"
)

// updateScreenshot also writes the screenshot of a successful upload to
// docsScreenshot, the copy README.md shows; the stack then runs on the
// addresses of `make run`, which must be free:
//
//	go test ./infra/devtools/local -run TestAllowedOrigin -update-screenshot
var updateScreenshot = flag.Bool("update-screenshot", false, "write "+docsScreenshot+" from this run")

// docsScreenshot is the committed screenshot, relative to this package.
const docsScreenshot = "docs/upload-page.png"

// The upload page on the allowed origin uploads a real PNG through the
// signer's presigned PUT, sending the signed headers, shows it back through a
// presigned GET, and the object in S3 has the file's bytes.
func TestAllowedOriginUploadsAndShowsTheImage(t *testing.T) {
	var adjust []func(*stack.Options)
	if *updateScreenshot {
		// The README's copy shows the addresses `make run` prints.
		adjust = append(adjust, func(o *stack.Options) {
			o.S3Addr, o.SignerAddr, o.PageAddr, o.OtherPageAddr = defaultS3Addr, defaultSignerAddr, "", defaultOtherAddr
		})
	}
	st := localtest.Stack(t, adjust...)
	b := localtest.NewBrowser(t)

	r := uploadThroughPage(t, b, st.PageURL, samplePNG)
	if r.State != "done" {
		t.Fatalf("page state %q, error %q (%s), want done", r.State, r.ErrorText, r.ErrorKind)
	}
	if r.ImgWidth != 480 {
		t.Errorf("image naturalWidth %d, want 480 (the image did not load from S3)", r.ImgWidth)
	}
	if !strings.HasPrefix(r.Key, st.Env.UploadPrefix) || !strings.HasSuffix(r.Key, "/sample.png") {
		t.Errorf("key %q, want %s<id>/sample.png", r.Key, st.Env.UploadPrefix)
	}
	if got, want := objectBytes(t, st, r.Key), readFile(t, samplePNG); !bytes.Equal(got, want) {
		t.Errorf("object has %d bytes, want the file's %d bytes", len(got), len(want))
	}

	// The PUT went straight to S3 with the headers the signer signed.
	puts := methodIs(b.RequestsTo(st.S3.Endpoint+"/"), http.MethodPut)
	if len(puts) != 1 {
		t.Fatalf("browser sent %d PUTs to S3, want 1", len(puts))
	}
	for name, want := range map[string]string{"Content-Type": "image/png", "If-None-Match": "*"} {
		if got, _ := puts[0].Header(name); got != want {
			t.Errorf("PUT header %s = %q, want %q", name, got, want)
		}
	}

	path, png := b.Screenshot("local/upload-page.png")
	t.Logf("screenshot: %s", path)
	if *updateScreenshot {
		if err := os.MkdirAll(filepath.Dir(docsScreenshot), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(docsScreenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", docsScreenshot)
	}
}

// A page on an origin the environment does not allow cannot get an upload
// URL: the signer's CORS refuses the preflight, the page says so, and
// nothing reaches the bucket. The control, in the same stack and browser,
// is the allowed page uploading the same file.
func TestDisallowedOriginIsBlockedByCORS(t *testing.T) {
	st := localtest.Stack(t)
	b := localtest.NewBrowser(t)

	r := uploadThroughPage(t, b, st.OtherPageURL, samplePNG)
	if r.State != "error" || r.ErrorKind != "signer-unreachable" {
		t.Fatalf("other origin: state %q kind %q, want error signer-unreachable", r.State, r.ErrorKind)
	}
	if !strings.Contains(r.ErrorText, "CORS") {
		t.Errorf("error text %q does not mention CORS", r.ErrorText)
	}
	path, _ := b.Screenshot("local/other-origin-blocked.png")
	t.Logf("screenshot: %s", path)
	if keys := objectKeys(t, st); len(keys) != 0 {
		t.Errorf("bucket holds %v after the blocked upload, want nothing", keys)
	}
	if puts := methodIs(b.RequestsTo(st.S3.Endpoint+"/"), http.MethodPut); len(puts) != 0 {
		t.Errorf("browser sent %d PUTs to S3 from the other origin, want 0", len(puts))
	}

	control := uploadThroughPage(t, b, st.PageURL, samplePNG)
	if control.State != "done" {
		t.Fatalf("control (allowed origin): state %q, error %q", control.State, control.ErrorText)
	}
	if keys := objectKeys(t, st); len(keys) != 1 {
		t.Errorf("control: bucket holds %v, want one object", keys)
	}
}

// Even a page holding a valid presigned PUT cannot use it from an origin the
// bucket's CORS rules do not list: the browser's preflight to S3 fails and
// the PUT is never sent. The URL is issued by the test, as a server would.
// Control: the same kind of URL used by the allowed page uploads.
func TestBucketCORSBlocksAForeignPageHoldingAValidURL(t *testing.T) {
	st := localtest.Stack(t)
	b := localtest.NewBrowser(t)
	size := len(readFile(t, samplePNG))
	issue := func() issuedUpload {
		var up issuedUpload
		body := map[string]any{"fileName": "sample.png", "contentType": "image/png", "size": size}
		if code := postJSON(t, st.SignerURL+"/v1/uploads", body, &up); code != http.StatusCreated {
			t.Fatalf("POST /v1/uploads: status %d, want 201", code)
		}
		return up
	}

	openPage(b, st.OtherPageURL)
	pickFile(t, b, samplePNG)
	putIssued(t, b, issue())
	r := waitResult(t, b)
	if r.State != "error" || r.ErrorKind != "storage-blocked" {
		t.Fatalf("other origin with a valid URL: state %q kind %q (%s), want error storage-blocked", r.State, r.ErrorKind, r.ErrorText)
	}
	if keys := objectKeys(t, st); len(keys) != 0 {
		t.Errorf("bucket holds %v, want nothing", keys)
	}

	openPage(b, st.PageURL)
	pickFile(t, b, samplePNG)
	putIssued(t, b, issue())
	if c := waitResult(t, b); c.State != "done" {
		t.Fatalf("control (allowed origin): state %q, error %q", c.State, c.ErrorText)
	}
	if keys := objectKeys(t, st); len(keys) != 1 {
		t.Errorf("control: bucket holds %v, want one object", keys)
	}
}

// The bucket policy's referer Deny, applied from infra/policy: the image
// loads inside the allowed page, whose origin Chromium sends as Referer
// (default policy strict-origin-when-cross-origin: origin only, with "/"),
// which matches the pattern "<origin>/*". Fetched outside the page, the same
// URL is refused without a Referer or with a foreign one, and served with the
// page's.
func TestRefererPolicyLetsOnlyThePageShowTheImage(t *testing.T) {
	st := localtest.Stack(t)
	b := localtest.NewBrowser(t)

	r := uploadThroughPage(t, b, st.PageURL, samplePNG)
	if r.State != "done" || r.ImgWidth == 0 {
		t.Fatalf("page state %q, image width %d, error %q: want the image shown", r.State, r.ImgWidth, r.ErrorText)
	}
	var gets []localtest.Request
	for _, q := range methodIs(b.RequestsTo(st.S3.Endpoint+"/"), http.MethodGet) {
		if q.URL == r.ImgSrc {
			gets = append(gets, q)
		}
	}
	if len(gets) == 0 {
		t.Fatal("no GET of the image URL recorded")
	}
	pageReferer := stack.Origin(st.PageURL) + "/"
	if got, _ := gets[0].Header("Referer"); got != pageReferer {
		t.Errorf("browser sent Referer %q, want %q (origin only)", got, pageReferer)
	}

	want := readFile(t, samplePNG)
	tests := []struct {
		name    string
		referer string
		status  int
	}{
		{"no referer", "", http.StatusForbidden},
		{"foreign site", "https://elsewhere.example/page.html", http.StatusForbidden},
		{"other local origin", stack.Origin(st.OtherPageURL) + "/", http.StatusForbidden},
		{"control: the page's referer", pageReferer, http.StatusOK},
		{"control: a full page URL on the allowed origin", st.PageURL + "gallery?id=1", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := getWithReferer(t, r.ImgSrc, tt.referer)
			if status != tt.status {
				t.Fatalf("GET with Referer %q: status %d, want %d", tt.referer, status, tt.status)
			}
			if status == http.StatusOK && !bytes.Equal(body, want) {
				t.Errorf("body has %d bytes, want the file's %d", len(body), len(want))
			}
		})
	}
}

// The signer refuses a file that is too large or of a type it does not
// allow, before anything is uploaded: the page shows the signer's message,
// the browser sends nothing to S3 and the bucket stays empty. Control: a
// PNG from the same page goes through.
func TestSignerRefusesTooLargeAndWrongTypeBeforeUpload(t *testing.T) {
	st := localtest.Stack(t)
	b := localtest.NewBrowser(t)
	dir := t.TempDir()

	big := filepath.Join(dir, "huge.png")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: one byte over the limit costs no disk, and the page never reads it.
	if err := f.Truncate(st.Env.MaxSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not an image\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, file, code string
	}{
		{"too large", big, "too_large"},
		{"wrong type", text, "unsupported_media_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := uploadThroughPage(t, b, st.PageURL, tt.file)
			if r.State != "error" || r.ErrorKind != "signer" {
				t.Fatalf("state %q kind %q (%s), want error from the signer", r.State, r.ErrorKind, r.ErrorText)
			}
			if !strings.Contains(r.ErrorText, "("+tt.code+",") {
				t.Errorf("page shows %q, want the signer's %s message", r.ErrorText, tt.code)
			}
			t.Logf("page shows: %s", r.ErrorText)
		})
	}
	if reqs := b.RequestsTo(st.S3.Endpoint + "/"); len(reqs) != 0 {
		t.Errorf("browser sent %d requests to S3, want none", len(reqs))
	}
	if keys := objectKeys(t, st); len(keys) != 0 {
		t.Errorf("bucket holds %v, want nothing", keys)
	}

	if c := uploadThroughPage(t, b, st.PageURL, samplePNG); c.State != "done" {
		t.Fatalf("control: state %q, error %q", c.State, c.ErrorText)
	}
	if keys := objectKeys(t, st); len(keys) != 1 {
		t.Errorf("control: bucket holds %v, want one object", keys)
	}
}

// methodIs keeps the requests with the given method.
func methodIs(reqs []localtest.Request, method string) []localtest.Request {
	return slices.DeleteFunc(reqs, func(r localtest.Request) bool { return r.Method != method })
}
