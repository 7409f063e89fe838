package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
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
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// mintEndpoint asks POST /v1/uppy for a caller-bound Companion endpoint as
// a server would, and returns its path.
func mintEndpoint(t *testing.T, signerURL, key, body string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, signerURL+"/v1/uppy", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct{ Path string }
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("mint: %d %s", resp.StatusCode, raw)
	}
	return out.Path
}

// Uppy with an API key and no proxy: the page mints a caller-bound
// Companion endpoint with its key (POST /v1/uppy), and the real, unchanged
// Uppy uploads through it: a small file in one request (/s3/params) and a
// 3-part multipart file both arrive byte for byte, under the key's caller.
// A wrong key is refused (401) at minting; a tampered and an expired
// endpoint are refused (403) by the signer; none of the three stores
// anything.
func TestUppyWithAnAPIKeyThroughAMintedEndpoint(t *testing.T) {
	var signerURL string
	st := localtest.Stack(t, func(o *stack.Options) {
		o.AuthMode = config.AuthAPIKey
		o.SignerEnv = map[string]string{
			sconfig.EnvMultipartThreshold: fmt.Sprint(uppyThreshold),
			sconfig.EnvPartSize:           "5MiB",
		}
		o.PageRoutes = map[string]http.Handler{"GET /uppy/": uppyPage(t, &signerURL, config.AuthAPIKey)}
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
	big := write("big.pdf", 2*uppyThreshold+4242, 7) // 3 parts of 5 MiB
	small := write("small.pdf", 5151, 8)

	// upload opens the page with key in its key field, picks name and
	// starts the upload: by the button (mint, then Uppy), or with a given
	// endpoint when endpoint is not "".
	upload := func(key, name, endpoint string) uppyResult {
		t.Helper()
		b.Do(
			chromedp.Navigate(st.PageURL+"uppy/"),
			chromedp.WaitVisible(chromedp.CSS("#upload")),
		)
		localtest.Run(b, chromedp.Poll[bool](`document.getElementById('status').dataset.state === 'ready'`, chromedp.WithPollingTimeout(10*time.Second)))
		b.Do(
			chromedp.SendKeys(chromedp.CSS("#api-key"), key),
			chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{filepath.Join(dir, name)}),
		)
		if endpoint == "" {
			b.Do(chromedp.Click(chromedp.CSS("#upload")))
		} else {
			arg, _ := json.Marshal(endpoint)
			b.Do(chromedp.Evaluate[chromedp.Void]("window.s3presignUppy.uploadWith(" + string(arg) + "); undefined"))
		}
		localtest.Run(b, chromedp.Poll[bool](`['done', 'error'].includes(document.getElementById('status').dataset.state)`, chromedp.WithPollingTimeout(25*time.Second)))
		return localtest.Run(b, chromedp.Evaluate[uppyResult](`(() => { const $ = (id) => document.getElementById(id);
			return { State: $('status').dataset.state, Key: $('key').textContent, Error: $('error').textContent, Parts: Number($('parts').textContent) }; })()`))
	}
	wantNothingStored := func(what string) {
		t.Helper()
		if keys := objectKeys(t, st); len(keys) != 0 {
			t.Errorf("%s: bucket holds %v, want nothing", what, keys)
		}
	}

	// A wrong key: refused when minting, before Uppy starts.
	r := upload("s3p_not-the-key", "small.pdf", "")
	if r.State != "error" || !strings.Contains(r.Error, "unauthorized, HTTP 401") {
		t.Fatalf("wrong key: state %q, error %q; want a 401 at minting", r.State, r.Error)
	}
	if n := len(b.RequestsTo(st.SignerURL + "/uppy/")); n != 0 {
		t.Errorf("wrong key: Uppy called an endpoint %d times, want never", n)
	}
	wantNothingStored("wrong key")

	// A tampered endpoint (one character of its MAC changed) and an expired
	// one: the signer refuses Uppy's first call with 403.
	path := mintEndpoint(t, st.SignerURL, st.APIKey, `{}`)
	last := path[len(path)-1]
	tampered := path[:len(path)-1] + map[bool]string{true: "B", false: "A"}[last == 'A']
	r = upload(st.APIKey, "big.pdf", st.SignerURL+tampered)
	if r.State != "error" {
		t.Fatalf("tampered endpoint: state %q, want error", r.State)
	}
	t.Logf("tampered endpoint: page shows %q", r.Error)
	expired := mintEndpoint(t, st.SignerURL, st.APIKey, `{"expiresIn":1}`)
	waitExpired(t, st.SignerURL+expired+"/s3/params?filename=a.pdf&type=application/pdf")
	r = upload(st.APIKey, "small.pdf", st.SignerURL+expired)
	if r.State != "error" {
		t.Fatalf("expired endpoint: state %q, want error", r.State)
	}
	t.Logf("expired endpoint: page shows %q", r.Error)
	wantNothingStored("tampered or expired endpoint")
	if n := len(methodIs(b.RequestsTo(st.S3.Endpoint+"/"), http.MethodPut)) + len(methodIs(b.RequestsTo(st.S3.Endpoint+"/"), http.MethodPost)); n != 0 {
		t.Errorf("the browser sent %d uploads to S3 with refused endpoints, want none", n)
	}

	// The right key: both files arrive whole, under the caller's prefix,
	// through /uppy/<token>/s3/* only.
	prefix := st.Env.UploadPrefix + stack.LocalCaller + "/"
	for _, f := range []struct {
		name  string
		data  []byte
		parts int
	}{{"big.pdf", big, 3}, {"small.pdf", small, 0}} {
		r := upload(st.APIKey, f.name, "")
		if r.State != "done" || r.Parts != f.parts {
			t.Fatalf("%s: state %q after %d parts, error %q; want done after %d", f.name, r.State, r.Parts, r.Error, f.parts)
		}
		if !strings.HasPrefix(r.Key, prefix) {
			t.Errorf("%s: key %q, want it under %s", f.name, r.Key, prefix)
		}
		if got := objectBytes(t, st, r.Key); !bytes.Equal(got, f.data) {
			t.Errorf("%s: object has %d bytes, want the file's %d, byte for byte", f.name, len(got), len(f.data))
		}
	}
	if n := len(b.RequestsTo(st.SignerURL + "/s3/")); n != 0 {
		t.Errorf("Uppy called the plain /s3/ routes %d times, want only the minted endpoint", n)
	}
	if out := st.SignerOutput(); strings.Contains(out, strings.TrimPrefix(path, "/uppy/")) || strings.Contains(out, st.APIKey) {
		t.Error("the signer's log holds an endpoint token or the API key")
	}
}

// waitExpired polls url until the signer refuses the endpoint as expired
// (403 saying so); an endpoint minted for 1 s expires at the next second.
func waitExpired(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusForbidden && strings.Contains(string(body), "expired") {
			return
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("before expiry: %d %s, want 200", resp.StatusCode, body)
		}
		if time.Now().After(deadline) {
			t.Fatal("the endpoint did not expire within 5 s of a 1 s lifetime")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
