package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

var helloSHA = func() string { s := sha256.Sum256([]byte("hello")); return base64.StdEncoding.EncodeToString(s[:]) }()

func TestUploadIssuesExactlySignedHeaders(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		signed      string
		wantHeaders uploadHeaders
	}{
		{
			name:        "with size",
			body:        `{"fileName":"cat.png","contentType":"image/png","size":1234}`,
			signed:      "content-length;content-type;host;if-none-match",
			wantHeaders: uploadHeaders{ContentType: "image/png", ContentLength: "1234", IfNoneMatch: "*"},
		},
		{
			name:        "with sha256",
			body:        `{"fileName":"cat.png","contentType":"image/png","size":5,"sha256":"` + helloSHA + `"}`,
			signed:      "content-length;content-type;host;if-none-match;x-amz-checksum-sha256",
			wantHeaders: uploadHeaders{ContentType: "image/png", ContentLength: "5", ChecksumSHA256: helloSHA, IfNoneMatch: "*"},
		},
		{
			name:        "with size and sha256, canonical type",
			body:        `{"fileName":"Cat Photo.JPG","contentType":"Image/JPEG","size":5,"sha256":"` + helloSHA + `","method":"PUT"}`,
			signed:      "content-length;content-type;host;if-none-match;x-amz-checksum-sha256",
			wantHeaders: uploadHeaders{ContentType: "image/jpeg", ContentLength: "5", ChecksumSHA256: helloSHA, IfNoneMatch: "*"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			w := s.postJSON("/v1/uploads", tt.body)
			if w.Code != http.StatusCreated {
				t.Fatalf("status = %d, want 201 (body %s)", w.Code, w.Body)
			}
			var got uploadResponse
			decode(t, w, &got)
			q := query(t, got.URL)
			if sh := q.Get("X-Amz-SignedHeaders"); sh != tt.signed {
				t.Errorf("X-Amz-SignedHeaders = %q, want %q", sh, tt.signed)
			}
			wantOnlyQuery(t, q)
			if got.Headers != tt.wantHeaders {
				t.Errorf("headers = %+v, want %+v", got.Headers, tt.wantHeaders)
			}
			if got.Method != "PUT" {
				t.Errorf("method = %q, want PUT", got.Method)
			}
			if !strings.HasPrefix(got.Key, "uploads/"+zeroID+"/") {
				t.Errorf("key = %q, want uploads/<id>/<name>", got.Key)
			}
			if p := urlPath(t, got.URL); p != "/test-bucket/"+got.Key {
				t.Errorf("URL path = %q, want /test-bucket/%s", p, got.Key)
			}
			if q.Get("X-Amz-Expires") != "300" || q.Get("X-Amz-Date") != "20260102T030405Z" {
				t.Errorf("expires/date = %s/%s, want 300/20260102T030405Z", q.Get("X-Amz-Expires"), q.Get("X-Amz-Date"))
			}
			if want := fixedNow.Add(5 * time.Minute); !got.ExpiresAt.Equal(want) {
				t.Errorf("expiresAt = %s, want %s", got.ExpiresAt, want)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
		})
	}
}

func TestUploadIsDeterministic(t *testing.T) {
	// Fixed clock, credentials and ids: the same request gives the same URL.
	body := `{"fileName":"cat.png","contentType":"image/png","size":3}`
	a := newTestServer(t, nil).postJSON("/v1/uploads", body)
	b := newTestServer(t, nil).postJSON("/v1/uploads", body)
	if a.Body.String() != b.Body.String() {
		t.Fatalf("two identical requests differ:\n%s\n%s", a.Body, b.Body)
	}
	const want = `{"key":"uploads/aaaaaaaaaaaaaaaaaaaaaaaaaa/cat.png","url":"http://127.0.0.1:7070/test-bucket/uploads/aaaaaaaaaaaaaaaaaaaaaaaaaa/cat.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260102%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=300&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost%3Bif-none-match&X-Amz-Signature=`
	if !strings.HasPrefix(a.Body.String(), want) {
		t.Fatalf("got  %s\nwant prefix %s", a.Body, want)
	}
}

func TestUploadRefusals(t *testing.T) {
	big := `{"fileName":"a.png","contentType":"image/png","size":5,"pad":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		code        string
		mentions    []string
	}{
		{name: "control: valid", body: `{"fileName":"a.png","contentType":"image/png","size":5}`, status: 201},
		{name: "PUT without size", body: `{"fileName":"a.png","contentType":"image/png"}`, status: 400, code: apierr.Invalid,
			mentions: []string{`size is required`, `file.size`, `"method":"POST"`}},
		{name: "control: POST without size", body: `{"fileName":"a.png","contentType":"image/png","method":"POST"}`, status: 201},
		{name: "type not allowed", body: `{"fileName":"a.mp4","contentType":"video/mp4","size":5}`, status: 415, code: apierr.MediaType},
		{name: "extension disagrees", body: `{"fileName":"a.jpg","contentType":"image/png","size":5}`, status: 400, code: apierr.Invalid},
		{name: "no extension", body: `{"fileName":"a","contentType":"image/png","size":5}`, status: 400, code: apierr.Invalid},
		{name: "control: size at the limit", body: `{"fileName":"a.png","contentType":"image/png","size":10485760}`, status: 201},
		{name: "size over the limit", body: `{"fileName":"a.png","contentType":"image/png","size":10485761}`, status: 413, code: apierr.TooLarge},
		{name: "size zero", body: `{"fileName":"a.png","contentType":"image/png","size":0}`, status: 400, code: apierr.Invalid},
		{name: "size not an integer", body: `{"fileName":"a.png","contentType":"image/png","size":1.5}`, status: 400, code: apierr.Invalid, mentions: []string{"size: must be an integer"}},
		{name: "size as string", body: `{"fileName":"a.png","contentType":"image/png","size":"5"}`, status: 400, code: apierr.Invalid},
		{name: "sha256 not base64", body: `{"fileName":"a.png","contentType":"image/png","size":5,"sha256":"zz"}`, status: 400, code: apierr.Invalid},
		{name: "sha256 hex", body: `{"fileName":"a.png","contentType":"image/png","size":5,"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}`, status: 400, code: apierr.Invalid},
		{name: "method GET", body: `{"fileName":"a.png","contentType":"image/png","size":5,"method":"GET"}`, status: 400, code: apierr.Invalid},
		{name: "method post in lower case", body: `{"fileName":"a.png","contentType":"image/png","size":5,"method":"post"}`, status: 400, code: apierr.Invalid},
		{name: "traversal name", body: `{"fileName":"../../etc/passwd.png","contentType":"image/png","size":5}`, status: 400, code: apierr.Invalid},
		{name: "NUL in name", body: `{"fileName":"a\u0000.png","contentType":"image/png","size":5}`, status: 400, code: apierr.Invalid},
		{name: "RTL override", body: `{"fileName":"a\u202egnp.png","contentType":"image/png","size":5}`, status: 400, code: apierr.Invalid},
		{name: "name too long", body: `{"fileName":"` + strings.Repeat("a", 252) + `.png","contentType":"image/png","size":5}`, status: 400, code: apierr.Invalid},
		{name: "control: name at 255 bytes", body: `{"fileName":"` + strings.Repeat("a", 251) + `.png","contentType":"image/png","size":5}`, status: 201},
		{name: "missing fields", body: `{}`, status: 400, code: apierr.Invalid, mentions: []string{"fileName is required", "contentType is required"}},
		{name: "every problem reported", body: `{"fileName":"a/b","contentType":"video/mp4","size":99999999999,"expiresIn":0}`, status: 400, code: apierr.Invalid,
			mentions: []string{"fileName must not contain '/'", `"video/mp4" is not allowed`, "above the limit", "expiresIn"}},
		{name: "unknown field", body: `{"fileName":"a.png","contentType":"image/png","size":5,"filename":"b.png","acl":"public-read"}`, status: 400, code: apierr.Invalid,
			mentions: []string{`unknown field "filename"`, `unknown field "acl"`}},
		{name: "duplicate field", body: `{"fileName":"a.png","contentType":"image/png","size":5,"fileName":"b.png"}`, status: 400, code: apierr.Invalid, mentions: []string{"more than once"}},
		{name: "trailing data", body: `{"fileName":"a.png","contentType":"image/png","size":5} {}`, status: 400, code: apierr.Invalid},
		{name: "not JSON", body: `fileName=a.png`, status: 400, code: apierr.Invalid},
		{name: "array", body: `[{"fileName":"a.png"}]`, status: 400, code: apierr.Invalid},
		{name: "truncated", body: `{"fileName":"a.png"`, status: 400, code: apierr.Invalid},
		{name: "empty body", body: ``, status: 400, code: apierr.Invalid},
		{name: "deeply nested", body: `{"fileName":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, status: 400, code: apierr.Invalid},
		{name: "body over the cap", body: big, status: 413, code: apierr.TooLarge},
		{name: "wrong request Content-Type", contentType: "text/plain", body: `{"fileName":"a.png","contentType":"image/png","size":5}`, status: 415, code: apierr.MediaType},
		{name: "form Content-Type", contentType: "application/x-www-form-urlencoded", body: `{"fileName":"a.png","contentType":"image/png","size":5}`, status: 415, code: apierr.MediaType},
		{name: "control: charset utf-8", contentType: "application/json; charset=utf-8", body: `{"fileName":"a.png","contentType":"image/png","size":5}`, status: 201},
		{name: "expiresIn zero", body: `{"fileName":"a.png","contentType":"image/png","size":5,"expiresIn":0}`, status: 400, code: apierr.Invalid},
		{name: "control: expiresIn", body: `{"fileName":"a.png","contentType":"image/png","size":5,"expiresIn":60}`, status: 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			w := s.do(http.MethodPost, "/v1/uploads", ct, tt.body)
			if tt.code == "" {
				if w.Code != tt.status {
					t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.status, w.Body)
				}
				return
			}
			e := wantError(t, w, tt.status, tt.code)
			for _, m := range tt.mentions {
				if !strings.Contains(e.Message, m) {
					t.Errorf("message %q does not mention %q", e.Message, m)
				}
			}
		})
	}
}

func TestUploadLifetime(t *testing.T) {
	tests := []struct {
		name    string
		opt     func(*Deps)
		body    string
		expires string
		status  int
	}{
		{name: "default", body: `{"fileName":"a.png","contentType":"image/png","size":5}`, expires: "300", status: 201},
		{name: "requested", body: `{"fileName":"a.png","contentType":"image/png","size":5,"expiresIn":90}`, expires: "90", status: 201},
		{name: "clamped to max", body: `{"fileName":"a.png","contentType":"image/png","size":5,"expiresIn":999999999999}`, expires: "3600", status: 201},
		{
			name:    "clamped to credentials",
			opt:     func(d *Deps) { d.Creds = newSource(expiringCreds(fixedNow.Add(2 * time.Minute))) },
			body:    `{"fileName":"a.png","contentType":"image/png","size":5,"expiresIn":3600}`,
			expires: "60", status: 201,
		},
		{
			name:   "credentials about to expire",
			opt:    func(d *Deps) { d.Creds = newSource(expiringCreds(fixedNow.Add(80 * time.Second))) },
			body:   `{"fileName":"a.png","contentType":"image/png","size":5}`,
			status: 503,
		},
		{
			name:   "credentials unavailable",
			opt:    func(d *Deps) { d.Creds = newSource(failingCreds()) },
			body:   `{"fileName":"a.png","contentType":"image/png","size":5}`,
			status: 503,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, tt.opt)
			w := s.postJSON("/v1/uploads", tt.body)
			if tt.status != 201 {
				e := wantError(t, w, tt.status, apierr.Unavailable)
				if strings.Contains(e.Message, "refused") {
					t.Errorf("message leaks the provider's error: %q", e.Message)
				}
				return
			}
			if w.Code != 201 {
				t.Fatalf("status = %d (body %s)", w.Code, w.Body)
			}
			var got uploadResponse
			decode(t, w, &got)
			q := query(t, got.URL)
			if q.Get("X-Amz-Expires") != tt.expires {
				t.Errorf("X-Amz-Expires = %s, want %s", q.Get("X-Amz-Expires"), tt.expires)
			}
			if got.ExpiresAt.Sub(fixedNow) != mustSeconds(tt.expires) {
				t.Errorf("expiresAt = %s, want now + %ss", got.ExpiresAt, tt.expires)
			}
		})
	}
}

func TestUploadWithTemporaryCredentialsSignsTheToken(t *testing.T) {
	s := newTestServer(t, func(d *Deps) { d.Creds = newSource(expiringCreds(fixedNow.Add(6 * time.Hour))) })
	w := s.postJSON("/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`)
	var got uploadResponse
	decode(t, w, &got)
	if tok := query(t, got.URL).Get("X-Amz-Security-Token"); tok != "SESSIONTOKEN" {
		t.Fatalf("X-Amz-Security-Token = %q, want the session token", tok)
	}
	if strings.Contains(s.logs.String(), "SESSIONTOKEN") {
		t.Fatal("the session token reached the log")
	}
}

func TestUploadUnderCaller(t *testing.T) {
	s := newTestServer(t, func(d *Deps) { d.Auth = callerAuth("alice") })
	w := s.postJSON("/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`)
	var got uploadResponse
	decode(t, w, &got)
	if want := "uploads/alice/" + zeroID + "/a.png"; got.Key != want {
		t.Fatalf("key = %q, want %q", got.Key, want)
	}
	// A caller name the key grammar cannot hold is the server's fault: 500,
	// no URL.
	bad := newTestServer(t, func(d *Deps) { d.Auth = callerAuth("../bob") })
	wantError(t, bad.postJSON("/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`), 500, apierr.Internal)
}

func mustSeconds(s string) time.Duration {
	d, _ := time.ParseDuration(s + "s")
	return d
}
