package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"

	"github.com/s3presign/s3presign/infra/devtools/local/localtest"
	"github.com/s3presign/s3presign/infra/devtools/local/stack"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m)) }

// samplePNG is a real 480x270 PNG committed with the tests.
const samplePNG = "testdata/sample.png"

// pageResult is the page's state after an upload attempt.
type pageResult struct {
	State     string // #status data-state: done or error
	ErrorKind string // #error data-kind
	ErrorText string // #error text
	Key       string // #key text
	ImgSrc    string // #preview src
	ImgWidth  int    // #preview naturalWidth
}

// finished is a JS expression that is truthy once the page has finished an
// upload attempt, either way.
const finished = `(() => { const s = document.getElementById('status').dataset.state; return s === 'done' || s === 'error'; })()`

// openPage loads a page and waits until its script has run.
func openPage(b *localtest.Browser, url string) {
	b.Do(
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("#upload")),
	)
	localtest.Run(b, chromedp.Poll[bool](`document.getElementById('page-origin').textContent !== ''`, chromedp.WithPollingTimeout(10*time.Second)))
}

// pickFile sets file on the page's <input type=file>.
func pickFile(t *testing.T, b *localtest.Browser, file string) {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{abs}))
}

// uploadThroughPage opens url, picks file, presses Upload and waits until
// the page reports done or error.
func uploadThroughPage(t *testing.T, b *localtest.Browser, url, file string) pageResult {
	t.Helper()
	openPage(b, url)
	pickFile(t, b, file)
	b.Do(chromedp.Click(chromedp.CSS("#upload")))
	return waitResult(t, b)
}

// waitResult waits until the page has finished and reads its state.
func waitResult(t *testing.T, b *localtest.Browser) pageResult {
	t.Helper()
	localtest.Run(b, chromedp.Poll[bool](finished, chromedp.WithPollingTimeout(20*time.Second)))
	return localtest.Run(b, chromedp.Evaluate[pageResult](`(() => {
		const $ = (id) => document.getElementById(id);
		return {
			State: $('status').dataset.state,
			ErrorKind: $('error').dataset.kind || '',
			ErrorText: $('error').hidden ? '' : $('error').textContent,
			Key: $('key').textContent,
			ImgSrc: $('preview').getAttribute('src') || '',
			ImgWidth: $('preview').naturalWidth,
		};
	})()`))
}

// objectKeys lists every key in the stack's bucket, as root (which skips the
// bucket policy).
func objectKeys(t *testing.T, st *stack.Stack) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := st.S3.RootClient().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &st.Bucket})
	if err != nil {
		t.Fatalf("list bucket: %v", err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	return keys
}

// objectBytes downloads an object through the S3 API as root.
func objectBytes(t *testing.T, st *stack.Stack, key string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := st.S3.RootClient().GetObject(ctx, &s3.GetObjectInput{Bucket: &st.Bucket, Key: &key})
	if err != nil {
		t.Fatalf("get object %q: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// issuedUpload is the signer's answer to POST /v1/uploads.
type issuedUpload struct {
	Key     string            `json:"key"`
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
}

// postJSON sends body to the signer as a server would (no Origin header)
// and decodes the answer into out; it returns the status.
func postJSON(t *testing.T, url string, body, out any) int {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
	return resp.StatusCode
}

// getWithReferer GETs url with the given Referer ("" sends none) and returns
// the status and body.
func getWithReferer(t *testing.T, url, referer string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if referer != "" {
		req.Header.Set("Referer", referer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// putIssued makes the page upload its picked file with an upload issued
// elsewhere (window.s3presignPage.putIssued).
func putIssued(t *testing.T, b *localtest.Browser, up issuedUpload) {
	t.Helper()
	arg, err := json.Marshal(up)
	if err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Evaluate[chromedp.Void]("window.s3presignPage.putIssued(" + string(arg) + "); undefined"))
}
