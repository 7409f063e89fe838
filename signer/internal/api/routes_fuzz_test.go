package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/s3presign/s3presign/signer/internal/objectkey"
)

// The route fuzzers drive the real handler (middleware, mux, handlers) with
// a fixed caller, so every key the signer accepts must stay under
// fuzzScope. Their seed corpora are in testdata/fuzz/<FuzzName>/.

// fuzzScope is the caller's key prefix in the route fuzzers.
const fuzzScope = "uploads/alice/"

// fuzzBucketPath starts the path of every URL the test server issues
// (path-style URLs).
const fuzzBucketPath = "/test-bucket/"

// newFuzzServer returns the handler under test and a flag that is set when
// the handler panics (recoverPanics logs the panic and answers 500).
func newFuzzServer(f *testing.F) (http.Handler, *panicSpy) {
	f.Helper()
	spy := &panicSpy{}
	s := newTestServer(f, func(d *Deps) {
		d.Auth = callerAuth("alice")
		d.Logger = slog.New(slog.NewJSONHandler(spy, &slog.HandlerOptions{Level: slog.LevelError}))
	})
	return s.h, spy
}

// panicSpy is a log sink that only remembers whether a panic was logged, so
// that a long fuzzing run keeps no log.
type panicSpy struct{ panicked atomic.Bool }

func (p *panicSpy) Write(b []byte) (int, error) {
	if bytes.Contains(b, []byte(`"msg":"panic"`)) {
		p.panicked.Store(true)
	}
	return len(b), nil
}

// FuzzV1Routes sends any body with any Content-Type to POST /v1/uploads
// (route even) or POST /v1/downloads (route odd). The answer is either a
// success whose key follows the key grammar under the caller's prefix, or a
// 4xx with a JSON error body; never a panic or a 5xx.
func FuzzV1Routes(f *testing.F) {
	f.Add(uint8(0), "application/json", []byte(`{"fileName":"a.png","contentType":"image/png","size":5}`))
	f.Add(uint8(1), "application/json", []byte(`{"key":"uploads/alice/aaaaaaaaaaaaaaaaaaaaaaaaaa/a.png","downloadName":"b.png"}`))
	h, spy := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, route uint8, contentType string, body []byte) {
		target := "/v1/uploads"
		if route%2 == 1 {
			target = "/v1/downloads"
		}
		r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if spy.panicked.Load() {
			t.Fatal("the handler panicked")
		}

		switch {
		case target == "/v1/uploads" && w.Code == http.StatusCreated && strings.Contains(w.Body.String(), `"method":"POST"`):
			var resp postUploadResponse // a form upload: its policy caps the size
			strictJSON(t, w, &resp)
			checkKey(t, resp.Key, fuzzScope)
			if resp.Fields["key"] != resp.Key || resp.Fields["policy"] == "" {
				t.Fatalf("form fields %v do not pin key %q with a policy", resp.Fields, resp.Key)
			}
		case target == "/v1/uploads" && w.Code == http.StatusCreated:
			var resp uploadResponse
			strictJSON(t, w, &resp)
			checkKey(t, resp.Key, fuzzScope)
			if got := signedKey(t, resp.URL); got != resp.Key {
				t.Fatalf("URL signs key %q, response says %q", got, resp.Key)
			}
			if sh := signedHeaders(t, resp.URL); !strings.Contains(sh, "content-length") {
				t.Fatalf("an upload URL without a signed Content-Length (%q): nothing caps it", sh)
			}
			checkLifetime(t, resp.URL, resp.ExpiresAt)
		case target == "/v1/downloads" && w.Code == http.StatusOK:
			var resp downloadResponse
			strictJSON(t, w, &resp)
			checkKey(t, signedKey(t, resp.URL), fuzzScope)
			checkLifetime(t, resp.URL, resp.ExpiresAt)
		default:
			checkRefusal(t, w)
		}
	})
}

// FuzzCompatRoutes sends any query string to GET /signed-url-upload (route
// even) or GET /signed-url-access (route odd). A success signs exactly the
// key prefix + caller "/" + fileName "." + extension, which must follow the
// key grammar; anything else is a 4xx with a JSON error body.
func FuzzCompatRoutes(f *testing.F) {
	f.Add(uint8(0), "fileName=cat&extension=png&mediaType=image")
	f.Add(uint8(1), "fileName=cat&extension=png")
	h, spy := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, route uint8, rawQuery string) {
		target := "/signed-url-upload"
		if route%2 == 1 {
			target = "/signed-url-access"
		}
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.URL.RawQuery = rawQuery
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if spy.panicked.Load() {
			t.Fatal("the handler panicked")
		}

		if w.Code != http.StatusOK {
			checkRefusal(t, w)
			return
		}
		var resp struct {
			URL     string          `json:"url"`
			Headers json.RawMessage `json:"headers"`
		}
		strictJSON(t, w, &resp)
		key := signedKey(t, resp.URL)
		checkKey(t, key, fuzzScope)
		q, _ := url.ParseQuery(rawQuery)
		if want := fuzzScope + q.Get("fileName") + "." + q.Get("extension"); key != want {
			t.Fatalf("signed key %q, want exactly %q (the client's name, not rewritten)", key, want)
		}
		if target == "/signed-url-upload" && q.Get("size") != "" && !strings.Contains(signedHeaders(t, resp.URL), "content-length") {
			t.Fatalf("a compat upload with size %q signs no Content-Length", q.Get("size"))
		}
	})
}

// signedHeaders returns a presigned URL's X-Amz-SignedHeaders.
func signedHeaders(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("issued URL %q does not parse: %v", raw, err)
	}
	return u.Query().Get("X-Amz-SignedHeaders")
}

// strictJSON decodes a JSON answer into v, refusing unknown members and
// trailing data.
func strictJSON(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d with Content-Type %q, want application/json", w.Code, ct)
	}
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("status %d: body %s does not decode: %v", w.Code, w.Body, err)
	}
	if dec.More() {
		t.Fatalf("status %d: trailing data after the JSON answer: %s", w.Code, w.Body)
	}
}

// checkRefusal checks that an answer is a client error with the JSON error
// shape, a known code whose status is the one answered, and no URL.
func checkRefusal(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code < 400 || w.Code > 499 {
		t.Fatalf("status %d, want a success or a 4xx (body %s)", w.Code, w.Body)
	}
	var e errorBody
	strictJSON(t, w, &e)
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error body %s lacks a code or a message", w.Body)
	}
	if Status(e.Error.Code) != w.Code {
		t.Fatalf("code %q maps to %d, answered %d", e.Error.Code, Status(e.Error.Code), w.Code)
	}
	if strings.Contains(w.Body.String(), "X-Amz-") {
		t.Fatalf("a refusal holds a URL: %s", w.Body)
	}
}

// checkKey checks the key invariants: the key grammar under scope, at most
// 1024 bytes of UTF-8, no "." or ".." segment, no empty segment, no control
// or format character, no backslash.
func checkKey(t *testing.T, key, scope string) {
	t.Helper()
	if err := objectkey.Valid(key, scope); err != nil {
		t.Fatalf("issued key %q is not Valid under %q: %v", key, scope, err)
	}
	if !strings.HasPrefix(key, scope) || len(key) > objectkey.MaxKeyBytes || !utf8.ValidString(key) {
		t.Fatalf("issued key %q: outside %q, longer than %d bytes or not UTF-8", key, scope, objectkey.MaxKeyBytes)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			t.Fatalf("issued key %q has segment %q", key, seg)
		}
	}
	if strings.Contains(key, "..") {
		t.Fatalf("issued key %q holds ..", key)
	}
	for _, r := range key {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\\' {
			t.Fatalf("issued key %q holds %U", key, r)
		}
	}
}

// signedKey returns the key a path-style URL of the test server points at.
func signedKey(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("issued URL %q does not parse: %v", raw, err)
	}
	if u.Scheme != "http" || u.Host != "127.0.0.1:7070" || !strings.HasPrefix(u.Path, fuzzBucketPath) {
		t.Fatalf("issued URL %q points outside the bucket", raw)
	}
	return strings.TrimPrefix(u.Path, fuzzBucketPath)
}

// checkLifetime checks X-Amz-Expires against the configured limits and the
// answered expiresAt.
func checkLifetime(t *testing.T, raw string, expiresAt time.Time) {
	t.Helper()
	secs, err := strconv.Atoi(query(t, raw).Get("X-Amz-Expires"))
	if err != nil || secs < 1 || secs > int(time.Hour/time.Second) {
		t.Fatalf("X-Amz-Expires %d (%v) is outside 1..3600", secs, err)
	}
	if want := fixedNow.Add(time.Duration(secs) * time.Second); !expiresAt.Equal(want) {
		t.Fatalf("expiresAt %s, want %s (X-Amz-Date + X-Amz-Expires)", expiresAt, want)
	}
}
