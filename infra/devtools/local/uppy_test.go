package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"

	"github.com/s3presign/s3presign/infra/devtools/local/localtest"
	"github.com/s3presign/s3presign/infra/devtools/local/stack"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// uppyDir holds the Uppy test page: package.json and package-lock.json (the
// pinned @uppy/core, @uppy/aws-s3 and esbuild), page.js and index.html.
// `make uppy` installs the packages (npm ci) and bundles page.js with
// the real Uppy into dist/uppy-page.js, which is not committed.
const uppyDir = "_uppy"

// uppyThreshold is the signer's multipart threshold in this test, and the
// page's: from this size up Uppy uses multipart.
const uppyThreshold = 5 << 20

// uppyPage serves the Uppy test page under /uppy/: index.html, the bundle
// and config.js with the signer's URL and the threshold.
func uppyPage(t *testing.T, signerURL *string, authMode string) http.Handler {
	t.Helper()
	bundle, err := os.ReadFile(filepath.Join(uppyDir, "dist", "uppy-page.js"))
	if err != nil {
		t.Fatalf("the Uppy bundle is missing (%v): run `make uppy` (npm ci and esbuild in infra/devtools/local/_uppy)", err)
	}
	html := readFile(t, filepath.Join(uppyDir, "index.html"))
	mux := http.NewServeMux()
	serve := func(body []byte, ctype string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.Header().Set("Cache-Control", "no-store")
			w.Write(body)
		}
	}
	mux.HandleFunc("GET /uppy/{$}", serve(html, "text/html; charset=utf-8"))
	mux.HandleFunc("GET /uppy/uppy-page.js", serve(bundle, "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /uppy/config.js", func(w http.ResponseWriter, r *http.Request) {
		cfg, _ := json.Marshal(map[string]any{"signerURL": *signerURL, "multipartThreshold": uppyThreshold, "authMode": authMode})
		serve(fmt.Appendf(nil, "window.S3PRESIGN_UPPY = %s;\n", cfg), "text/javascript; charset=utf-8")(w, r)
	})
	return mux
}

// uppyResult is the Uppy page's state after an upload attempt.
type uppyResult struct {
	State, Key, Error string
	Parts             int
}

// The real Uppy from npm (@uppy/core + @uppy/aws-s3 in Companion mode),
// in headless Chromium on the allowed origin, uploads a file larger than the
// multipart threshold through the signer's /s3 routes, straight to S3 in
// parts; the object matches the file byte for byte, and nothing is left
// pending. A file under the threshold goes through /s3/params (a POST form)
// as the control of the routing.
func TestUppyUploadsThroughTheCompanionRoutes(t *testing.T) {
	var signerURL string
	st := localtest.Stack(t, func(o *stack.Options) {
		o.SignerEnv = map[string]string{
			sconfig.EnvMultipartThreshold: fmt.Sprint(uppyThreshold),
			sconfig.EnvPartSize:           "5MiB",
		}
		o.PageRoutes = map[string]http.Handler{"GET /uppy/": uppyPage(t, &signerURL, "")}
	})
	signerURL = st.SignerURL
	b := localtest.NewBrowser(t)

	dir := t.TempDir()
	write := func(name string, size int, seed uint64) []byte {
		r := rand.New(rand.NewPCG(seed, seed))
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		return data
	}
	big := write("big scan.pdf", 2*uppyThreshold+123457, 5) // 3 parts of Uppy's 5 MiB chunks
	small := write("small.pdf", 4321, 6)

	upload := func(name string) (state, key, errText string, parts int) {
		t.Helper()
		b.Do(
			chromedp.Navigate(st.PageURL+"uppy/"),
			chromedp.WaitVisible(chromedp.CSS("#upload")),
		)
		localtest.Run(b, chromedp.Poll[bool](`document.getElementById('status').dataset.state === 'ready'`, chromedp.WithPollingTimeout(10*time.Second)))
		b.Do(
			chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{filepath.Join(dir, name)}),
			chromedp.Click(chromedp.CSS("#upload")),
		)
		localtest.Run(b, chromedp.Poll[bool](`['done', 'error'].includes(document.getElementById('status').dataset.state)`, chromedp.WithPollingTimeout(25*time.Second)))
		r := localtest.Run(b, chromedp.Evaluate[uppyResult](`(() => { const $ = (id) => document.getElementById(id);
			return { State: $('status').dataset.state, Key: $('key').textContent, Error: $('error').textContent, Parts: Number($('parts').textContent) }; })()`))
		return r.State, r.Key, r.Error, r.Parts
	}

	state, key, errText, parts := upload("big scan.pdf")
	if state != "done" {
		t.Fatalf("multipart upload: state %q, error %q", state, errText)
	}
	if !strings.HasPrefix(key, st.Env.UploadPrefix) || !strings.HasSuffix(key, "/big scan.pdf") || parts != 3 {
		t.Errorf("key %q after %d parts, want %s<id>/big scan.pdf after 3", key, parts, st.Env.UploadPrefix)
	}
	if got := objectBytes(t, st, key); sha256.Sum256(got) != sha256.Sum256(big) {
		t.Fatalf("object has %d bytes (SHA-256 %x), want the file's %d bytes (%x)", len(got), sha256.Sum256(got), len(big), sha256.Sum256(big))
	}
	// The path Uppy took: the signer's Companion routes, and the parts
	// straight to S3 (the bytes never pass through the signer).
	signerPaths := map[string]int{}
	for _, r := range b.RequestsTo(st.SignerURL + "/s3/") {
		if r.Method == http.MethodOptions {
			continue // CORS preflights
		}
		p := strings.TrimPrefix(r.URL, st.SignerURL)
		p, _, _ = strings.Cut(p, "?")
		switch {
		case p == "/s3/multipart":
			p = r.Method + " /s3/multipart"
		case strings.HasSuffix(p, "/complete"):
			p = r.Method + " /s3/multipart/{id}/complete"
		default:
			p = r.Method + " /s3/multipart/{id}/{part}"
		}
		signerPaths[p]++
	}
	want := map[string]int{"POST /s3/multipart": 1, "GET /s3/multipart/{id}/{part}": 3, "POST /s3/multipart/{id}/complete": 1}
	if fmt.Sprint(signerPaths) != fmt.Sprint(want) {
		t.Errorf("browser called the signer's /s3 routes %v, want %v", signerPaths, want)
	}
	var partPuts int
	for _, r := range methodIs(b.RequestsTo(st.S3.Endpoint+"/"), http.MethodPut) {
		if strings.Contains(r.URL, "partNumber=") && strings.Contains(r.URL, "uploadId=") {
			partPuts++
		}
	}
	if partPuts != 3 {
		t.Errorf("browser sent %d part PUTs to S3, want 3", partPuts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pending, err := st.S3.RootClient().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(st.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(pending.Uploads) != 0 {
		t.Errorf("%d multipart uploads left pending", len(pending.Uploads))
	}

	// Control: under the threshold Uppy asks /s3/params and posts a form.
	state, key, errText, parts = upload("small.pdf")
	if state != "done" || parts != 0 {
		t.Fatalf("small upload: state %q, %d parts, error %q", state, parts, errText)
	}
	if got := objectBytes(t, st, key); !bytes.Equal(got, small) {
		t.Errorf("small object has %d bytes, want %d", len(got), len(small))
	}
	if n := len(b.RequestsTo(st.SignerURL + "/s3/params")); n != 1 {
		t.Errorf("browser asked /s3/params %d times, want 1", n)
	}
}
