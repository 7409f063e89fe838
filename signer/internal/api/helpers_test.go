package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3presign/s3presign/signer/internal/auth"
	"github.com/s3presign/s3presign/signer/internal/creds"
	"github.com/s3presign/s3presign/signer/internal/objectkey"
	"github.com/s3presign/s3presign/signer/internal/presign"
	"github.com/s3presign/s3presign/signer/internal/rules"
)

// fixedNow is the signing time of every unit test: URLs are deterministic.
var fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// zeros is an endless random source of zero bytes: every id is 26 "a"s.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

var zeroID = strings.Repeat("a", objectkey.IDLen)

func staticCreds() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", Source: "test"}, nil
	})
}

// syncBuffer is a concurrency-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testServer struct {
	h    http.Handler
	logs *syncBuffer
}

// newTestServer builds the handler with a fixed clock, static credentials,
// zero random ids and the default rules; opt may change the deps.
func newTestServer(t testing.TB, opt func(*Deps)) *testServer {
	t.Helper()
	p, err := presign.New(presign.Target{Endpoint: "http://127.0.0.1:7070", Region: "us-east-1", Bucket: "test-bucket", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	types, err := rules.ParseTypes(rules.DefaultAllowed)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := rules.New(types, rules.Limits{MaxSize: 10 << 20, DefaultExpiry: 5 * time.Minute, MaxExpiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := objectkey.NewBuilder("uploads/", zeros{})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	d := Deps{
		Presigner:  p,
		Creds:      creds.New(staticCreds()),
		Clock:      func() time.Time { return fixedNow },
		Rules:      rl,
		Keys:       keys,
		Logger:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RequestLog: NewRequestLog(logs, slog.LevelDebug),
		Compat:     true,
		Auth:       callerAuth(""),
	}
	if opt != nil {
		opt(&d)
	}
	h, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{h: h, logs: logs}
}

// stubAuth is a stub authenticator for the production auth wiring
// (Deps.Auth): it names each request's caller, or refuses it.
type stubAuth func(r *http.Request) (auth.Caller, error)

func (f stubAuth) Authenticate(r *http.Request) (auth.Caller, error) { return f(r) }

// callerAuth authenticates every request as the caller named name ("" is the
// anonymous caller).
func callerAuth(name string) stubAuth {
	return func(*http.Request) (auth.Caller, error) { return auth.Caller{Name: name}, nil }
}

// do sends one request through the handler.
func (s *testServer) do(method, target, contentType, body string, hdr ...string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w
}

func (s *testServer) postJSON(target, body string) *httptest.ResponseRecorder {
	return s.do(http.MethodPost, target, "application/json", body)
}

// decode parses a JSON response body into v, failing on unknown fields.
func decode(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json (body %s)", ct, w.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", w.Body, err)
	}
}

// wantError checks an error response: status, JSON shape and code.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) errorDetail {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d (body %s)", w.Code, status, w.Body)
	}
	var e errorBody
	decode(t, w, &e)
	if e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("error = %+v, want code %s with a message", e.Error, code)
	}
	if strings.Contains(w.Body.String(), "X-Amz-") {
		t.Fatalf("an error response holds a URL: %s", w.Body)
	}
	return e.Error
}

// query parses a presigned URL and returns its query.
func query(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("url %q: %v", raw, err)
	}
	return u.Query()
}

// urlPath returns the unescaped path of a URL.
func urlPath(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("url %q: %v", raw, err)
	}
	return u.Path
}

// signedQueryNames are the only query parameters an issued URL may carry
// besides the ones a route adds on purpose: anything else would be a header
// hoisted into the query, where S3 does not check it.
var signedQueryNames = map[string]bool{
	"X-Amz-Algorithm": true, "X-Amz-Credential": true, "X-Amz-Date": true, "X-Amz-Expires": true,
	"X-Amz-SignedHeaders": true, "X-Amz-Signature": true, "X-Amz-Security-Token": true,
}

func wantOnlyQuery(t *testing.T, q url.Values, extra ...string) {
	t.Helper()
	for name := range q {
		if !signedQueryNames[name] && !contains(extra, name) {
			t.Errorf("URL carries unexpected query parameter %q", name)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// failingCreds is a provider that fails, like a credentials endpoint that is down.
func failingCreds() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("connect: connection refused (credentials endpoint)")
	})
}

// expiringCreds are temporary credentials that expire at the given time.
func expiringCreds(at time.Time) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "SESSIONTOKEN", CanExpire: true, Expires: at}, nil
	})
}

func newSource(p aws.CredentialsProvider) *creds.Source { return creds.New(p) }
