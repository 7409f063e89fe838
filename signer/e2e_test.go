package main

// End-to-end tests: the real signer, started through runWith on a free
// 127.0.0.1 port, issues URLs over HTTP; the URLs are used against versitygw
// (a real S3 server that checks signatures, expiry, checksums and
// conditional writes) as a non-root user that owns the bucket. Every
// rejection has a passing control beside it.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3presign/s3presign/signer/s3test"
)

const (
	e2eBucket = "signer-e2e"
	e2eAccess = "signer-owner"
	e2eSecret = "signer-owner-secret-0123456789"
)

// e2e is one versitygw with a bucket owned by a non-root user.
type e2e struct {
	s3     *s3test.Server
	client *s3.Client // as the owner
}

func startS3(t *testing.T) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test against versitygw")
	}
	srv := s3test.Start(t)
	if err := srv.CreateUser(e2eAccess, e2eSecret, s3test.RoleUserPlus); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateBucket(aws.Credentials{AccessKeyID: e2eAccess, SecretAccessKey: e2eSecret}, e2eBucket); err != nil {
		t.Fatal(err)
	}
	return &e2e{s3: srv, client: srv.Client(e2eAccess, e2eSecret)}
}

// env is the signer's environment for this server, plus extra settings.
func (e *e2e) env(extra map[string]string) map[string]string {
	env := map[string]string{
		"S3PRESIGN_ENVIRONMENT": "test",
		"S3PRESIGN_BUCKET":      e2eBucket,
		"S3PRESIGN_REGION":      e.s3.Region,
		"S3PRESIGN_ENDPOINT":    e.s3.Endpoint,
		"S3PRESIGN_PATH_STYLE":  "true",
		"S3PRESIGN_LISTEN_ADDR": "127.0.0.1:0",
		"S3PRESIGN_MAX_SIZE":    "1MiB",
		"S3PRESIGN_AUTH_MODE":   "none",
		"S3PRESIGN_RATE_LIMIT":  "1000", // functional tests send bursts from one address
		"S3PRESIGN_RATE_BURST":  "1000",
		"AWS_ACCESS_KEY_ID":     e2eAccess,
		"AWS_SECRET_ACCESS_KEY": e2eSecret,
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// keys lists every object key in the bucket.
func (e *e2e) keys(t *testing.T) []string {
	t.Helper()
	out, err := e.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(e2eBucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	slices.Sort(keys)
	return keys
}

type uploadResp struct {
	Key       string            `json:"key"`
	URL       string            `json:"url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expiresAt"`
}

type downloadResp struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// upload asks the signer for an upload URL.
func upload(t *testing.T, p *signerProc, req map[string]any) uploadResp {
	t.Helper()
	var r uploadResp
	callJSON(t, "POST", p.URL+"/v1/uploads", jsonBody(t, req), 201, &r)
	if r.Method != "PUT" || r.URL == "" || r.Key == "" {
		t.Fatalf("upload answer %+v", r)
	}
	return r
}

// download asks the signer for a download URL.
func download(t *testing.T, p *signerProc, req map[string]any) downloadResp {
	t.Helper()
	var r downloadResp
	callJSON(t, "POST", p.URL+"/v1/downloads", jsonBody(t, req), 200, &r)
	return r
}

// s3Do sends a request to a presigned URL: headers as the signer listed them
// (Content-Length sets the request's length), body as given.
func s3Do(t *testing.T, method, rawURL string, headers map[string]string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Length") {
			continue // the body's real length is sent; a mismatch fails the signature
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s presigned URL: %v", method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

func put(t *testing.T, u uploadResp, body []byte) (int, []byte) {
	t.Helper()
	status, b, _ := s3Do(t, "PUT", u.URL, u.Headers, body)
	return status, b
}

func wantS3(t *testing.T, what string, status, want int, body []byte) {
	t.Helper()
	if status != want {
		t.Fatalf("%s: S3 answered %d, want %d: %s", what, status, want, body)
	}
}

func sha256b64(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func TestE2E(t *testing.T) {
	e := startS3(t)
	p := startSigner(t, e.env(nil), runDeps{})
	png := []byte("\x89PNG\r\n\x1a\n not really a png, but bytes all the same")

	t.Run("upload then download gives the same bytes", func(t *testing.T) {
		u := upload(t, p, map[string]any{"fileName": "holiday photo.png", "contentType": "image/png",
			"size": len(png), "sha256": sha256b64(png)})
		if q, _ := url.ParseQuery(mustURL(t, u.URL).RawQuery); q.Get("X-Amz-SignedHeaders") != "content-length;content-type;host;if-none-match;x-amz-checksum-sha256" {
			t.Fatalf("signed headers %q", q.Get("X-Amz-SignedHeaders"))
		}
		status, body := put(t, u, png)
		wantS3(t, "PUT", status, 200, body)

		d := download(t, p, map[string]any{"key": u.Key, "downloadName": "Ferien Foto.png"})
		status, got, hdr := s3Do(t, "GET", d.URL, nil, nil)
		wantS3(t, "GET", status, 200, got)
		if !bytes.Equal(got, png) {
			t.Fatalf("downloaded %q, uploaded %q", got, png)
		}
		if cd := hdr.Get("Content-Disposition"); !strings.Contains(cd, `filename="Ferien Foto.png"`) {
			t.Errorf("Content-Disposition = %q", cd)
		}
		if ct := hdr.Get("Content-Type"); ct != "image/png" {
			t.Errorf("stored Content-Type = %q, want image/png", ct)
		}
	})

	t.Run("names with URL-special and non-ASCII characters round-trip", func(t *testing.T) {
		for _, name := range []string{"a b+c%20#?&=;~'!.png", "Grüße 写真 😀.png", "[x] (1) {2} ^ ` | $.png"} {
			u := upload(t, p, map[string]any{"fileName": name, "contentType": "image/png", "size": len(name)})
			if !strings.HasSuffix(u.Key, "/"+name) {
				t.Fatalf("key %q does not end in the name %q", u.Key, name)
			}
			status, body := put(t, u, []byte(name))
			wantS3(t, "PUT "+name, status, 200, body)
			if !slices.Contains(e.keys(t), u.Key) {
				t.Fatalf("bucket has no object %q", u.Key)
			}
			status, got, hdr := s3Do(t, "GET", download(t, p, map[string]any{"key": u.Key, "downloadName": name}).URL, nil, nil)
			wantS3(t, "GET "+name, status, 200, got)
			if string(got) != name {
				t.Fatalf("got %q, want %q", got, name)
			}
			if cd := hdr.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''") {
				t.Errorf("Content-Disposition = %q", cd)
			}
		}
		// The compat routes keep such names as the key, too.
		var up, acc struct{ URL string }
		q := url.Values{"fileName": {"my file+1 #2"}, "extension": {"png"}, "mediaType": {"image"}}
		callJSON(t, "GET", p.URL+"/signed-url-upload?"+q.Encode(), "", 200, &up)
		status, body, _ := s3Do(t, "PUT", up.URL, map[string]string{"Content-Type": "image/png"}, []byte("compat"))
		wantS3(t, "compat PUT", status, 200, body)
		q.Del("mediaType")
		callJSON(t, "GET", p.URL+"/signed-url-access?"+q.Encode(), "", 200, &acc)
		status, got, _ := s3Do(t, "GET", acc.URL, nil, nil)
		wantS3(t, "compat GET", status, 200, got)
		if !slices.Contains(e.keys(t), "uploads/my file+1 #2.png") || string(got) != "compat" {
			t.Fatalf("compat round trip: got %q, bucket %v", got, e.keys(t))
		}
	})

	t.Run("wrong Content-Type is rejected", func(t *testing.T) {
		u := upload(t, p, map[string]any{"fileName": "a.png", "contentType": "image/png", "size": len(png)})
		wrong := maps(u.Headers, "Content-Type", "image/jpeg")
		status, body, _ := s3Do(t, "PUT", u.URL, wrong, png)
		wantS3(t, "PUT with another Content-Type", status, 403, body)
		status, body = put(t, u, png) // control: the same URL as signed
		wantS3(t, "control PUT", status, 200, body)
	})

	t.Run("tampered signature or key is rejected", func(t *testing.T) {
		u := upload(t, p, map[string]any{"fileName": "b.png", "contentType": "image/png", "size": len(png)})
		sigURL := tamperSignature(t, u.URL)
		status, body, _ := s3Do(t, "PUT", sigURL, u.Headers, png)
		wantS3(t, "PUT with a changed signature", status, 403, body)
		keyURL := strings.Replace(u.URL, "/b.png?", "/c.png?", 1)
		if keyURL == u.URL {
			t.Fatal("key not found in URL")
		}
		status, body, _ = s3Do(t, "PUT", keyURL, u.Headers, png)
		wantS3(t, "PUT to another key", status, 403, body)
		status, body = put(t, u, png) // control
		wantS3(t, "control PUT", status, 200, body)

		d := download(t, p, map[string]any{"key": u.Key})
		status, body, _ = s3Do(t, "GET", tamperSignature(t, d.URL), nil, nil)
		wantS3(t, "GET with a changed signature", status, 403, body)
		status, body, _ = s3Do(t, "GET", d.URL, nil, nil) // control
		wantS3(t, "control GET", status, 200, body)
	})

	t.Run("expired URL is rejected", func(t *testing.T) {
		// A second signer whose clock is an hour behind issues URLs that
		// expired 55 minutes ago. No sleeping.
		past := startSigner(t, e.env(nil), runDeps{clock: func() time.Time { return time.Now().Add(-time.Hour) }})
		old := upload(t, past, map[string]any{"fileName": "late.png", "contentType": "image/png", "size": len(png)})
		if time.Until(old.ExpiresAt) > -50*time.Minute {
			t.Fatalf("expiresAt %s is not in the past", old.ExpiresAt)
		}
		status, body := put(t, old, png)
		wantS3(t, "PUT through an expired URL", status, 403, body)
		if !strings.Contains(string(body), "expired") {
			t.Errorf("S3 refused for another reason: %s", body)
		}
		fresh := upload(t, p, map[string]any{"fileName": "late.png", "contentType": "image/png", "size": len(png)})
		status, body = put(t, fresh, png) // control
		wantS3(t, "control PUT", status, 200, body)

		oldGet := download(t, past, map[string]any{"key": fresh.Key})
		status, body, _ = s3Do(t, "GET", oldGet.URL, nil, nil)
		wantS3(t, "GET through an expired URL", status, 403, body)
		status, body, _ = s3Do(t, "GET", download(t, p, map[string]any{"key": fresh.Key}).URL, nil, nil) // control
		wantS3(t, "control GET", status, 200, body)
	})

	t.Run("body longer than the signed size is rejected", func(t *testing.T) {
		u := upload(t, p, map[string]any{"fileName": "sized.png", "contentType": "image/png", "size": 5})
		status, body := put(t, u, []byte("123456"))
		wantS3(t, "PUT of 6 bytes for size 5", status, 403, body)
		if got := e.keys(t); slices.Contains(got, u.Key) {
			t.Fatalf("the refused body was stored under %s", u.Key)
		}
		status, body = put(t, u, []byte("12345")) // control
		wantS3(t, "control PUT of 5 bytes", status, 200, body)
	})

	t.Run("body with another checksum is rejected", func(t *testing.T) {
		good := []byte("hello")
		u := upload(t, p, map[string]any{"fileName": "sum.png", "contentType": "image/png", "size": 5, "sha256": sha256b64(good)})
		status, body := put(t, u, []byte("hellp"))
		wantS3(t, "PUT with another body", status, 400, body)
		if !strings.Contains(string(body), "BadDigest") {
			t.Errorf("S3 refused for another reason: %s", body)
		}
		status, body = put(t, u, good) // control
		wantS3(t, "control PUT", status, 200, body)
	})

	t.Run("a second PUT to the same key is refused", func(t *testing.T) {
		u := upload(t, p, map[string]any{"fileName": "once.png", "contentType": "image/png", "size": 5})
		status, body := put(t, u, []byte("first"))
		wantS3(t, "first PUT (control)", status, 200, body)
		status, body = put(t, u, []byte("again")) // the signed length, so only the precondition refuses it
		wantS3(t, "second PUT through the same URL", status, 412, body)
		status, got, _ := s3Do(t, "GET", download(t, p, map[string]any{"key": u.Key}).URL, nil, nil)
		wantS3(t, "GET", status, 200, got)
		if string(got) != "first" {
			t.Fatalf("object holds %q, want the first body", got)
		}
	})

	t.Run("bad requests get 4xx and write nothing", func(t *testing.T) {
		before := e.keys(t)
		tests := []struct {
			name   string
			body   string
			status int
			code   string
		}{
			{"traversal name", `{"fileName":"../../etc/passwd.png","contentType":"image/png","size":5}`, 400, "invalid_request"},
			{"control character", `{"fileName":"a\u0000.png","contentType":"image/png","size":5}`, 400, "invalid_request"},
			{"bidi override", `{"fileName":"x\u202egnp.png","contentType":"image/png","size":5}`, 400, "invalid_request"},
			{"name of 256 bytes", `{"fileName":"` + strings.Repeat("n", 252) + `.png","contentType":"image/png","size":5}`, 400, "invalid_request"},
			{"size over the limit", `{"fileName":"big.png","contentType":"image/png","size":1048577}`, 413, "too_large"},
			{"PUT without size", `{"fileName":"a.png","contentType":"image/png"}`, 400, "invalid_request"},
			{"type not allowed", `{"fileName":"a.html","contentType":"text/html","size":5}`, 415, "unsupported_media_type"},
			{"extension disagrees", `{"fileName":"a.jpg","contentType":"image/png","size":5}`, 400, "invalid_request"},
			{"body over 64 KiB", `{"fileName":"a.png","contentType":"image/png","size":5,"x":"` + strings.Repeat("x", 70000) + `"}`, 413, "too_large"},
		}
		for _, tt := range tests {
			status, body := call(t, "POST", p.URL+"/v1/uploads", tt.body)
			if status != tt.status || errorCode(body) != tt.code {
				t.Errorf("%s: got %d %s, want %d %s", tt.name, status, body, tt.status, tt.code)
			}
			if bytes.Contains(body, []byte("X-Amz-")) {
				t.Errorf("%s: the refusal carries a URL: %s", tt.name, body)
			}
		}
		status, body := call(t, "POST", p.URL+"/v1/downloads", `{"key":"elsewhere/secret.png"}`)
		if status != 403 || errorCode(body) != "forbidden" {
			t.Errorf("download outside the prefix: got %d %s", status, body)
		}
		if after := e.keys(t); !slices.Equal(before, after) {
			t.Fatalf("refused requests changed the bucket: before %v, after %v", before, after)
		}
		// Control: a valid request with the largest allowed size works.
		u := upload(t, p, map[string]any{"fileName": "max.png", "contentType": "image/png", "size": 1 << 20})
		status, body = put(t, u, bytes.Repeat([]byte("x"), 1<<20))
		wantS3(t, "control PUT at the size limit", status, 200, body)
	})

	t.Run("logs hold no URL, signature or secret", func(t *testing.T) {
		logs := p.logs.String()
		for _, leak := range []string{"X-Amz-Signature", "X-Amz-Credential", e2eSecret, "http://127.0.0.1:" + portOf(e.s3.Endpoint) + "/" + e2eBucket} {
			if strings.Contains(logs, leak) {
				t.Errorf("log holds %q", leak)
			}
		}
		if !strings.Contains(logs, `"route":"POST /v1/uploads"`) {
			t.Error("no access log line for the upload route")
		}
	})
}

func TestE2ECompat(t *testing.T) {
	e := startS3(t)
	allow := startSigner(t, e.env(nil), runDeps{})
	data := []byte("original server contract")

	compatURL := func(p *signerProc, path, query string) (int, map[string]any) {
		t.Helper()
		status, b := call(t, "GET", p.URL+path+"?"+query, "")
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %s", path, b)
		}
		return status, m
	}

	t.Run("round trip with only Content-Type sent", func(t *testing.T) {
		status, m := compatURL(allow, "/signed-url-upload", "fileName=demo-image&extension=png&mediaType=image")
		if status != 200 || m["headers"] != nil || len(m) != 1 {
			t.Fatalf("upload answer %d %v, want only {url}", status, m)
		}
		st, body, _ := s3Do(t, "PUT", m["url"].(string), map[string]string{"Content-Type": "image/png"}, data)
		wantS3(t, "PUT like an old client", st, 200, body)
		if !slices.Contains(e.keys(t), "uploads/demo-image.png") {
			t.Fatalf("bucket holds %v, want uploads/demo-image.png", e.keys(t))
		}
		status, m = compatURL(allow, "/signed-url-access", "fileName=demo-image&extension=png")
		if status != 200 {
			t.Fatalf("access answer %d %v", status, m)
		}
		st, got, _ := s3Do(t, "GET", m["url"].(string), nil, nil)
		wantS3(t, "GET", st, 200, got)
		if !bytes.Equal(got, data) {
			t.Fatalf("got %q, want %q", got, data)
		}
	})

	t.Run("allow: a second upload replaces the first", func(t *testing.T) {
		for i, body := range []string{"one", "two"} {
			_, m := compatURL(allow, "/signed-url-upload", "fileName=replace-me&extension=png&mediaType=image")
			st, b, _ := s3Do(t, "PUT", m["url"].(string), map[string]string{"Content-Type": "image/png"}, []byte(body))
			wantS3(t, fmt.Sprintf("upload %d", i+1), st, 200, b)
		}
		_, m := compatURL(allow, "/signed-url-access", "fileName=replace-me&extension=png")
		_, got, _ := s3Do(t, "GET", m["url"].(string), nil, nil)
		if string(got) != "two" {
			t.Fatalf("got %q, want the second body", got)
		}
	})

	t.Run("refuse: a second upload gets 412 and the first body stays", func(t *testing.T) {
		refuse := startSigner(t, e.env(map[string]string{"S3PRESIGN_COMPAT_OVERWRITE": "refuse"}), runDeps{})
		put := func(body string) (int, []byte) {
			t.Helper()
			status, m := compatURL(refuse, "/signed-url-upload", "fileName=keep-me&extension=png&mediaType=image")
			hdrs, _ := m["headers"].(map[string]any)
			if status != 200 || hdrs["If-None-Match"] != "*" || hdrs["Content-Type"] != "image/png" {
				t.Fatalf("upload answer %d %v, want headers with If-None-Match", status, m)
			}
			h := map[string]string{}
			for k, v := range hdrs {
				h[k] = v.(string)
			}
			st, b, _ := s3Do(t, "PUT", m["url"].(string), h, []byte(body))
			return st, b
		}
		st, b := put("first")
		wantS3(t, "first upload (control)", st, 200, b)
		st, b = put("second")
		wantS3(t, "second upload", st, 412, b)
		_, m := compatURL(refuse, "/signed-url-access", "fileName=keep-me&extension=png")
		_, got, _ := s3Do(t, "GET", m["url"].(string), nil, nil)
		if string(got) != "first" {
			t.Fatalf("got %q, want the first body", got)
		}
	})

	t.Run("mediaType video with extension png is refused", func(t *testing.T) {
		before := e.keys(t)
		status, b := call(t, "GET", allow.URL+"/signed-url-upload?fileName=clip&extension=png&mediaType=video", "")
		if status != 400 || errorCode(b) != "invalid_request" {
			t.Fatalf("got %d %s, want 400 invalid_request", status, b)
		}
		if after := e.keys(t); !slices.Equal(before, after) {
			t.Fatalf("bucket changed: %v -> %v", before, after)
		}
		status, _ = call(t, "GET", allow.URL+"/signed-url-upload?fileName=clip&extension=png&mediaType=image", "") // control
		if status != 200 {
			t.Fatalf("control: %d", status)
		}
	})

	t.Run("compat off: both routes are 404", func(t *testing.T) {
		off := startSigner(t, e.env(map[string]string{"S3PRESIGN_COMPAT_ROUTES": "false"}), runDeps{})
		for _, target := range []string{"/signed-url-upload?fileName=a&extension=png&mediaType=image", "/signed-url-access?fileName=a&extension=png"} {
			status, b := call(t, "GET", off.URL+target, "")
			if status != 404 || errorCode(b) != "not_found" {
				t.Errorf("compat off %s: got %d %s, want 404 not_found", target, status, b)
			}
			if status, _ := call(t, "GET", allow.URL+target, ""); status != 200 { // control
				t.Errorf("compat on %s: got %d", target, status)
			}
		}
		// The v1 routes stay.
		callJSON(t, "POST", off.URL+"/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`, 201, nil)
	})
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// tamperSignature changes one hex digit of X-Amz-Signature.
func tamperSignature(t *testing.T, raw string) string {
	t.Helper()
	i := strings.Index(raw, "X-Amz-Signature=")
	if i < 0 {
		t.Fatalf("no signature in %s", raw)
	}
	i += len("X-Amz-Signature=")
	b := []byte(raw)
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	return string(b)
}

// maps returns a copy of m with k set to v.
func maps(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		if key != k {
			out[key] = val
		}
	}
	return out
}

func portOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return u.Port()
}

// The compat upload route signs Content-Length when given size: S3 refuses
// one byte more, and stores the exact size. With S3PRESIGN_COMPAT_UNSIZED=refuse
// a request without size gets 400 and no URL.
func TestE2ECompatSize(t *testing.T) {
	e := startS3(t)
	p := startSigner(t, e.env(nil), runDeps{})
	var up struct {
		URL     string
		Headers map[string]string
	}
	q := url.Values{"fileName": {"sized"}, "extension": {"png"}, "mediaType": {"image"}, "size": {"5"}}
	callJSON(t, "GET", p.URL+"/signed-url-upload?"+q.Encode(), "", 200, &up)
	if up.Headers["Content-Length"] != "5" {
		t.Fatalf("headers %v, want Content-Length 5", up.Headers)
	}
	status, body, _ := s3Do(t, "PUT", up.URL, up.Headers, []byte("123456"))
	wantS3(t, "compat PUT of 6 bytes for size 5", status, 403, body)
	if slices.Contains(e.keys(t), "uploads/sized.png") {
		t.Fatal("the refused body was stored")
	}
	status, body, _ = s3Do(t, "PUT", up.URL, up.Headers, []byte("12345")) // control
	wantS3(t, "control: compat PUT of 5 bytes", status, 200, body)

	refusing := startSigner(t, e.env(map[string]string{"S3PRESIGN_COMPAT_UNSIZED": "refuse"}), runDeps{})
	q.Del("size")
	q.Set("fileName", "unsized")
	status, body = call(t, "GET", refusing.URL+"/signed-url-upload?"+q.Encode(), "")
	if status != 400 || errorCode(body) != "invalid_request" || bytes.Contains(body, []byte("X-Amz-")) || !bytes.Contains(body, []byte("size=")) {
		t.Fatalf("refuse mode without size: %d %s, want 400 invalid_request saying to send size, and no URL", status, body)
	}
	q.Set("size", "7")
	callJSON(t, "GET", refusing.URL+"/signed-url-upload?"+q.Encode(), "", 200, &up) // control
	status, body, _ = s3Do(t, "PUT", up.URL, up.Headers, []byte("1234567"))
	wantS3(t, "control: refuse mode with size", status, 200, body)
}
