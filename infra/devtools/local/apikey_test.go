package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/devtools/local/localtest"
	"github.com/s3presign/s3presign/infra/devtools/local/stack"
)

// apikeyStack starts the local stack as `make run AUTH=apikey` does: the
// signer in API-key mode with one fresh key for the caller "local".
func apikeyStack(t *testing.T) *stack.Stack {
	t.Helper()
	st := localtest.Stack(t, func(o *stack.Options) { o.AuthMode = config.AuthAPIKey })
	if !strings.HasPrefix(st.APIKey, "s3p_") {
		t.Fatalf("apikey stack made key %q, want an s3p_ key", st.APIKey)
	}
	return st
}

// errorCode reads the signer's error code the page shows (#error data-code).
func errorCode(b *localtest.Browser) string {
	return localtest.Run(b, chromedp.Evaluate[string](`document.getElementById('error').dataset.code || ''`))
}

// In API-key mode the page asks for the key. Without one, or with a wrong
// one, the signer answers 401 and the page says in plain words what to do;
// nothing reaches S3. With the key printed at start the same upload works,
// the object lands under the caller's prefix, and the key survives a reload
// of the tab (sessionStorage).
func TestAPIKeyModeOnThePage(t *testing.T) {
	st := apikeyStack(t)
	b := localtest.NewBrowser(t)

	openPage(b, st.PageURL)
	if hidden := localtest.Run(b, chromedp.Evaluate[bool](`document.getElementById('key-card').hidden`)); hidden {
		t.Fatal("the page does not ask for an API key in apikey mode")
	}

	// No key: 401, and the page says where the key comes from.
	pickFile(t, b, samplePNG)
	b.Do(chromedp.Click(chromedp.CSS("#upload")))
	r := waitResult(t, b)
	if r.State != "error" || r.ErrorKind != "signer" || errorCode(b) != "unauthorized" {
		t.Fatalf("no key: state %q kind %q code %q (%s), want a 401 from the signer", r.State, r.ErrorKind, errorCode(b), r.ErrorText)
	}
	for _, want := range []string{"needs an API key", "make run AUTH=apikey", "(unauthorized, HTTP 401)"} {
		if !strings.Contains(r.ErrorText, want) {
			t.Errorf("no key: page shows %q, want it to contain %q", r.ErrorText, want)
		}
	}

	// A wrong key: 401 again, with the other message.
	b.Do(chromedp.SendKeys(chromedp.CSS("#api-key"), "s3p_not-the-key"))
	b.Do(chromedp.Click(chromedp.CSS("#upload")))
	r = waitResult(t, b)
	if r.State != "error" || errorCode(b) != "unauthorized" || !strings.Contains(r.ErrorText, "did not accept this API key") {
		t.Fatalf("wrong key: state %q code %q, page shows %q; want 401 and 'did not accept this API key'", r.State, errorCode(b), r.ErrorText)
	}
	if reqs := b.RequestsTo(st.S3.Endpoint + "/"); len(reqs) != 0 {
		t.Errorf("browser sent %d requests to S3 while refused, want none", len(reqs))
	}
	if keys := objectKeys(t, st); len(keys) != 0 {
		t.Errorf("bucket holds %v after the refusals, want nothing", keys)
	}

	// Control: the right key works. Reloading the tab keeps the key.
	b.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById('api-key').value = ''; undefined`),
		chromedp.SendKeys(chromedp.CSS("#api-key"), st.APIKey))
	openPage(b, st.PageURL)
	if got := localtest.Run(b, chromedp.Evaluate[string](`document.getElementById('api-key').value`)); got != st.APIKey {
		t.Fatalf("after a reload the key field holds %d characters, want the key kept for the tab", len(got))
	}
	pickFile(t, b, samplePNG)
	b.Do(chromedp.Click(chromedp.CSS("#upload")))
	r = waitResult(t, b)
	if r.State != "done" {
		t.Fatalf("right key: state %q, error %q, want done", r.State, r.ErrorText)
	}
	if want := st.Env.UploadPrefix + stack.LocalCaller + "/"; !strings.HasPrefix(r.Key, want) {
		t.Errorf("key %q, want it under the caller's prefix %s", r.Key, want)
	}
	var sent int
	for _, req := range b.RequestsTo(st.SignerURL + "/v1/") {
		if got, _ := req.Header("Authorization"); got == "Bearer "+st.APIKey {
			sent++
		}
	}
	if sent != 2 { // the upload and the download
		t.Errorf("the page sent the key on %d signer requests, want 2", sent)
	}
}

// A file with no extension has no type in the browser: the page explains
// that in plain words and lists what is allowed, instead of the signer's
// "contentType is required". Control: the picker's accept lists the types.
func TestPageExplainsAFileWithoutAType(t *testing.T) {
	st := localtest.Stack(t)
	b := localtest.NewBrowser(t)
	file := filepath.Join(t.TempDir(), "notes")
	if err := os.WriteFile(file, []byte("no extension\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := uploadThroughPage(t, b, st.PageURL, file)
	if r.State != "error" || r.ErrorKind != "signer" {
		t.Fatalf("state %q kind %q (%s), want a refusal from the signer", r.State, r.ErrorKind, r.ErrorText)
	}
	for _, want := range []string{"could not tell this file's type", "image/png", "(invalid_request, HTTP 400)"} {
		if !strings.Contains(r.ErrorText, want) {
			t.Errorf("page shows %q, want it to contain %q", r.ErrorText, want)
		}
	}
	accept := localtest.Run(b, chromedp.Evaluate[string](`document.getElementById('file').getAttribute('accept') || ''`))
	for _, typ := range st.Env.AllowedTypes {
		if !strings.Contains(accept, strings.SplitN(typ, "=", 2)[0]) {
			t.Errorf("file picker accept=%q lacks %s", accept, typ)
		}
	}
}

// apiKeyCall posts body to the signer with an optional bearer key and
// returns the status (for the run test below).
func apiKeyCall(t *testing.T, url, key string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"fileName":"a.png","contentType":"image/png","size":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
