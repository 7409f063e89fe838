package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// multipartRoutes are the routes FuzzMultipartRoutes drives, by the route
// byte modulo their number: method, path before and after the upload id.
var multipartRoutes = []struct{ method, before, after string }{
	{"POST", "/v1/multipart", ""},
	{"POST", "/v1/multipart/", "/parts"},
	{"GET", "/v1/multipart/", "/parts"},
	{"POST", "/v1/multipart/", "/complete"},
	{"DELETE", "/v1/multipart/", ""},
	{"GET", "/s3/params", ""},
	{"POST", "/s3/multipart", ""},
	{"GET", "/s3/multipart/", ""},
	{"GET", "/s3/multipart/", "/batch"},
	{"GET", "/s3/multipart/", "/1"},
	{"POST", "/s3/multipart/", "/complete"},
	{"DELETE", "/s3/multipart/", ""},
	{"POST", "/v1/uploads", ""}, // with "method":"POST": a POST policy
}

// FuzzMultipartRoutes sends any upload id, query string, Content-Type and
// body to the multipart, Uppy and POST-policy routes, as caller alice, with
// a recording stand-in for S3. In the inputs, $TOKEN, $HANDLE and $KEY
// stand for a valid v1 token, Uppy handle and Uppy key, so that the fuzzer
// reaches past token checks. The answer is either a 2xx whose every key and
// URL follow the key grammar under uploads/alice/, or a 4xx with a JSON
// error (or the mux's redirect of an unclean path to its clean form); never
// a panic or a 5xx. Seeds are in
// testdata/fuzz/FuzzMultipartRoutes.
func FuzzMultipartRoutes(f *testing.F) {
	st := &store{parts: []types.Part{
		{PartNumber: aws.Int32(1), ETag: aws.String(`"e1"`), Size: aws.Int64(5 * mib)},
		{PartNumber: aws.Int32(2), ETag: aws.String(`"e2"`), Size: aws.Int64(18)},
	}}
	spy := &panicSpy{}
	s := newMultipartServer(f, st, func(d *Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(spy, &slog.HandlerOptions{Level: slog.LevelError}))
	})
	as := func(method, target, body string) *httptest.ResponseRecorder {
		return s.do(method, target, "application/json", body, "X-Test-Caller", "alice")
	}
	var v1 multipartCreateResponse
	if w := as("POST", "/v1/multipart", `{"fileName":"big photo.png","contentType":"image/png","size":12582930}`); w.Code != 201 ||
		json.Unmarshal(w.Body.Bytes(), &v1) != nil {
		f.Fatalf("v1 create: %d %s", w.Code, w.Body)
	}
	var uppy uppyCreateResponse
	if w := as("POST", "/s3/multipart", `{"filename":"big photo.png","type":"image/png"}`); w.Code != 200 ||
		json.Unmarshal(w.Body.Bytes(), &uppy) != nil {
		f.Fatalf("uppy create: %d %s", w.Code, w.Body)
	}
	subst := strings.NewReplacer("$TOKEN", v1.Token, "$HANDLE", uppy.UploadID, "$KEY", url.QueryEscape(uppy.Key))

	f.Add(uint8(1), "upload-1", "", "application/json", []byte(`{"token":"$TOKEN","partNumbers":[1,2,3]}`))
	f.Add(uint8(9), "$HANDLE", "key=$KEY", "", []byte(nil))
	f.Fuzz(func(t *testing.T, route uint8, id, rawQuery, contentType string, body []byte) {
		rt := multipartRoutes[int(route)%len(multipartRoutes)]
		r := httptest.NewRequest(rt.method, "/", bytes.NewReader([]byte(subst.Replace(string(body)))))
		r.URL.Path = rt.before
		if rt.after != "" || strings.HasSuffix(rt.before, "/") {
			r.URL.Path += subst.Replace(id) + rt.after
		}
		r.URL.RawQuery = subst.Replace(rawQuery)
		r.Header.Set("Content-Type", contentType)
		r.Header.Set("X-Test-Caller", "alice")
		st.mu.Lock()
		st.calls = nil
		st.mu.Unlock()
		w := httptest.NewRecorder()
		s.h.ServeHTTP(w, r)
		if spy.panicked.Load() {
			t.Fatal("the handler panicked")
		}
		if w.Code == http.StatusTemporaryRedirect || w.Code == http.StatusMovedPermanently {
			// The mux sends a path with dot segments or doubled slashes
			// to its clean form; nothing is issued.
			clean := path.Clean(r.URL.Path)
			if strings.HasSuffix(r.URL.Path, "/") && clean != "/" {
				clean += "/"
			}
			if clean == r.URL.Path || w.Body.Len() > 0 && strings.Contains(w.Body.String(), "X-Amz-") {
				t.Fatalf("redirect %d of the clean path %q: %s", w.Code, r.URL.Path, w.Body)
			}
			return
		}
		if w.Code < 200 || w.Code > 299 {
			checkRefusal(t, w)
			return
		}
		if w.Code == http.StatusNoContent { // an abort
			if w.Body.Len() != 0 {
				t.Fatalf("204 with a body: %s", w.Body)
			}
			return
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("status %d with Content-Type %q", w.Code, ct)
		}
		var v any
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatalf("status %d: %s: %v", w.Code, w.Body, err)
		}
		checkIssued(t, "", v)
	})
}

// checkIssued walks a JSON answer: every "key" member and every URL into
// the bucket must name a key that follows the grammar under fuzzScope.
func checkIssued(t *testing.T, name string, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			checkIssued(t, k, e)
		}
	case []any:
		for _, e := range x {
			checkIssued(t, name, e)
		}
	case string:
		switch {
		case strings.EqualFold(name, "key"):
			checkKey(t, x, fuzzScope)
		case strings.HasPrefix(x, "http://127.0.0.1:7070"+fuzzBucketPath):
			checkKey(t, signedKey(t, x), fuzzScope)
		case strings.HasPrefix(x, "http") && x != "http://127.0.0.1:7070/test-bucket":
			t.Fatalf("%s: URL %q points outside the bucket", name, x)
		}
	}
}
