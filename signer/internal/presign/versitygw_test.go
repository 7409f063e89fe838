package presign

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3presign/s3presign/signer/s3test"
)

// s3Env is a versitygw server with a bucket owned by a non-root user whose
// credentials sign every URL.
type s3Env struct {
	srv    *s3test.Server
	p      *Presigner
	creds  aws.Credentials
	bucket string
	client *s3.Client // the same user through the SDK, for setup and checks
}

func newS3Env(t *testing.T) *s3Env {
	t.Helper()
	srv := s3test.Start(t)
	creds := aws.Credentials{AccessKeyID: "presigner", SecretAccessKey: "presigner-secret-0123456789"}
	if err := srv.CreateUser(creds.AccessKeyID, creds.SecretAccessKey, s3test.RoleUserPlus); err != nil {
		t.Fatal(err)
	}
	const bucket = "presign-test"
	if err := srv.CreateBucket(creds, bucket); err != nil {
		t.Fatal(err)
	}
	p, err := New(Target{Endpoint: srv.Endpoint, Region: srv.Region, Bucket: bucket, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	return &s3Env{srv: srv, p: p, creds: creds, bucket: bucket, client: srv.Client(creds.AccessKeyID, creds.SecretAccessKey)}
}

// presign signs r now, failing the test on error.
func (e *s3Env) presign(t *testing.T, at time.Time, r Request) string {
	t.Helper()
	if r.Expires == 0 {
		r.Expires = 15 * time.Minute
	}
	u, err := e.p.Presign(e.creds, at, r)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// response is what a request got back; code is the S3 error code, if any.
type response struct {
	status int
	code   string
	body   []byte
	header http.Header
}

func (r response) String() string {
	if r.code != "" {
		return fmt.Sprintf("%d %s", r.status, r.code)
	}
	return strconv.Itoa(r.status)
}

// send makes the request with the given headers. content-length sets
// req.ContentLength (the Go client ignores the header); the body is sent as
// given, so its real length is what goes on the wire.
func send(t *testing.T, method, url string, headers []Header, body []byte) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	if body == nil {
		req.Body = http.NoBody
	}
	for _, h := range headers {
		if h.Name == "content-length" {
			continue
		}
		req.Header.Set(h.Name, h.Value)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: resp.StatusCode, body: b, header: resp.Header}
	if resp.StatusCode >= 300 {
		var e struct{ Code string }
		if xml.Unmarshal(b, &e) == nil {
			r.code = e.Code
		}
	}
	return r
}

func want(t *testing.T, what string, got response, status int, code string) {
	t.Helper()
	if got.status != status || (code != "" && got.code != code) {
		w := strconv.Itoa(status)
		if code != "" {
			w += " " + code
		}
		t.Errorf("%s: got %s, want %s\n%s", what, got, w, got.body)
	}
}

func sha256b64(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// putHeaders are the signed headers of an upload of body as contentType.
func putHeaders(contentType string, body []byte) []Header {
	return []Header{{"content-type", contentType}, {"content-length", strconv.Itoa(len(body))}}
}

// TestVersitygw runs presigned requests against a real S3-compatible server
// that checks signatures. Every rejection sits next to a control that passes.
func TestVersitygw(t *testing.T) {
	e := newS3Env(t)
	now := time.Now()

	t.Run("PUT then GET same bytes", func(t *testing.T) {
		for _, key := range []string{
			"plain.txt", "dir/with space.txt", "a+b=c&d%e#f~g;h:i@j,k$l!m*n'o(p)q[r].txt",
			"unicode/Grüße 日本語 🎉.png", "double  space", "q?x=1",
		} {
			body := []byte("body of " + key)
			h := putHeaders("text/plain; charset=utf-8", body)
			put := e.presign(t, now, Request{Method: "PUT", Key: key, Headers: h})
			want(t, "PUT "+key, send(t, "PUT", put, h, body), 200, "")
			get := send(t, "GET", e.presign(t, now, Request{Method: "GET", Key: key}), nil, nil)
			want(t, "GET "+key, get, 200, "")
			if !bytes.Equal(get.body, body) {
				t.Errorf("GET %q = %q, want %q", key, get.body, body)
			}
			if ct := get.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("GET %q Content-Type = %q", key, ct)
			}
		}
	})

	t.Run("GET response-content-disposition", func(t *testing.T) {
		body := []byte("pdf")
		h := putHeaders("application/pdf", body)
		want(t, "PUT", send(t, "PUT", e.presign(t, now, Request{Method: "PUT", Key: "cd.pdf", Headers: h}), h, body), 200, "")
		cd := `attachment; filename="resume.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`
		get := send(t, "GET", e.presign(t, now, Request{Method: "GET", Key: "cd.pdf", Query: []Param{{"response-content-disposition", cd}}}), nil, nil)
		want(t, "GET", get, 200, "")
		if got := get.header.Get("Content-Disposition"); got != cd {
			t.Errorf("Content-Disposition = %q, want %q", got, cd)
		}
	})

	t.Run("Content-Type other than signed", func(t *testing.T) {
		body := []byte("<svg/>")
		h := putHeaders("image/png", body)
		u := e.presign(t, now, Request{Method: "PUT", Key: "ct.png", Headers: h})
		other := putHeaders("image/svg+xml", body)
		want(t, "other type", send(t, "PUT", u, other, body), 403, "SignatureDoesNotMatch")
		want(t, "control: signed type", send(t, "PUT", u, h, body), 200, "")
	})

	t.Run("tampered signature or key", func(t *testing.T) {
		body := []byte("x")
		h := putHeaders("text/plain", body)
		u := e.presign(t, now, Request{Method: "PUT", Key: "tamper.txt", Headers: h})
		i := strings.Index(u, "X-Amz-Signature=") + len("X-Amz-Signature=")
		flipped := byte('0')
		if u[i] == '0' {
			flipped = '1'
		}
		want(t, "one signature character changed", send(t, "PUT", u[:i]+string(flipped)+u[i+1:], h, body), 403, "SignatureDoesNotMatch")
		want(t, "other key", send(t, "PUT", strings.Replace(u, "/tamper.txt?", "/tamper2.txt?", 1), h, body), 403, "SignatureDoesNotMatch")
		want(t, "longer lifetime", send(t, "PUT", strings.Replace(u, "X-Amz-Expires=900", "X-Amz-Expires=901", 1), h, body), 403, "SignatureDoesNotMatch")
		want(t, "control: as signed", send(t, "PUT", u, h, body), 200, "")
	})

	t.Run("expired", func(t *testing.T) {
		body := []byte("old")
		h := putHeaders("text/plain", body)
		want(t, "control: PUT", send(t, "PUT", e.presign(t, now, Request{Method: "PUT", Key: "exp.txt", Headers: h}), h, body), 200, "")
		past := now.Add(-2 * time.Hour)
		want(t, "GET signed 2h ago for 1h", send(t, "GET", e.presign(t, past, Request{Method: "GET", Key: "exp.txt", Expires: time.Hour}), nil, nil), 403, "AccessDenied")
		want(t, "PUT signed 2h ago for 1h", send(t, "PUT", e.presign(t, past, Request{Method: "PUT", Key: "exp.txt", Headers: h, Expires: time.Hour}), h, body), 403, "AccessDenied")
		want(t, "control: GET signed 30m ago for 1h", send(t, "GET", e.presign(t, now.Add(-30*time.Minute), Request{Method: "GET", Key: "exp.txt", Expires: time.Hour}), nil, nil), 200, "")
	})

	t.Run("signed Content-Length", func(t *testing.T) {
		body := []byte("exactly 17 bytes!")
		h := putHeaders("application/octet-stream", body)
		u := e.presign(t, now, Request{Method: "PUT", Key: "len.bin", Headers: h})
		want(t, "longer body", send(t, "PUT", u, h, append(body, '!')), 403, "SignatureDoesNotMatch")
		want(t, "shorter body", send(t, "PUT", u, h, body[:10]), 403, "SignatureDoesNotMatch")
		want(t, "control: signed length", send(t, "PUT", u, h, body), 200, "")
	})

	t.Run("signed checksum", func(t *testing.T) {
		body := []byte("checksummed body")
		h := append(putHeaders("text/plain", body), Header{"x-amz-checksum-sha256", sha256b64(body)})
		u := e.presign(t, now, Request{Method: "PUT", Key: "sum.txt", Headers: h})
		other := []byte("CHECKSUMMED BODY") // same length, other bytes
		want(t, "other body", send(t, "PUT", u, h, other), 400, "BadDigest")
		want(t, "control: signed body", send(t, "PUT", u, h, body), 200, "")
		got := send(t, "GET", e.presign(t, now, Request{Method: "GET", Key: "sum.txt"}), nil, nil)
		if !bytes.Equal(got.body, body) {
			t.Errorf("stored %q, want %q", got.body, body)
		}
	})

	t.Run("If-None-Match star", func(t *testing.T) {
		first, second := []byte("first"), []byte("second")
		h1 := append(putHeaders("text/plain", first), Header{"if-none-match", "*"})
		h2 := append(putHeaders("text/plain", second), Header{"if-none-match", "*"})
		want(t, "control: first PUT", send(t, "PUT", e.presign(t, now, Request{Method: "PUT", Key: "once.txt", Headers: h1}), h1, first), 200, "")
		want(t, "second PUT", send(t, "PUT", e.presign(t, now, Request{Method: "PUT", Key: "once.txt", Headers: h2}), h2, second), 412, "PreconditionFailed")
		got := send(t, "GET", e.presign(t, now, Request{Method: "GET", Key: "once.txt"}), nil, nil)
		if !bytes.Equal(got.body, first) {
			t.Errorf("after refused overwrite the object is %q, want %q", got.body, first)
		}
	})

	t.Run("POST policy", func(t *testing.T) {
		body := bytes.Repeat([]byte("p"), 100)
		in := PostInput{Key: "post/ü b.txt", ContentType: "text/plain", MinSize: 1, MaxSize: 100, Expires: 15 * time.Minute}
		url, fields, err := e.p.PresignPost(e.creds, now, in)
		if err != nil {
			t.Fatal(err)
		}
		post := func(change func(map[string]string), file []byte) response {
			f := make(map[string]string, len(fields))
			for k, v := range fields {
				f[k] = v
			}
			if change != nil {
				change(f)
			}
			return postForm(t, url, f, file)
		}
		want(t, "one byte over", post(nil, append(body, 'p')), 400, "EntityTooLarge")
		want(t, "empty file under the minimum", post(nil, []byte{}), 400, "EntityTooSmall")
		want(t, "other key", post(func(f map[string]string) { f["key"] = "post/other.txt" }, body), 403, "AccessDenied")
		want(t, "other Content-Type", post(func(f map[string]string) { f["Content-Type"] = "text/html" }, body), 403, "AccessDenied")
		want(t, "tampered policy signature", post(func(f map[string]string) { f["x-amz-signature"] = strings.Repeat("0", 64) }, body), 403, "SignatureDoesNotMatch")
		want(t, "control: as signed, at the limit", post(nil, body), 204, "")
		got := send(t, "GET", e.presign(t, now, Request{Method: "GET", Key: in.Key}), nil, nil)
		if !bytes.Equal(got.body, body) || got.header.Get("Content-Type") != "text/plain" {
			t.Errorf("stored %q (%s), want the posted bytes as text/plain", got.body, got.header.Get("Content-Type"))
		}
		for _, k := range []string{"post/other.txt"} {
			if r := send(t, "GET", e.presign(t, now, Request{Method: "GET", Key: k}), nil, nil); r.status != 404 {
				t.Errorf("refused POST wrote %s: GET %s", k, r)
			}
		}
	})

	t.Run("POST policy checksum", func(t *testing.T) {
		body := []byte("posted with a checksum")
		in := PostInput{Key: "post/sum.txt", ContentType: "text/plain", MaxSize: 1000, ChecksumSHA256: sha256b64(body), Expires: 15 * time.Minute}
		url, fields, err := e.p.PresignPost(e.creds, now, in)
		if err != nil {
			t.Fatal(err)
		}
		want(t, "other file", postForm(t, url, fields, []byte("POSTED WITH A CHECKSUM")), 400, "BadDigest")
		want(t, "control: the file summed", postForm(t, url, fields, body), 204, "")
	})

	t.Run("multipart through presigned UploadPart", func(t *testing.T) {
		const key = "mp/big file.bin"
		parts := [][]byte{
			bytes.Repeat([]byte{'a'}, 5<<20),
			bytes.Repeat([]byte{'b'}, 5<<20),
			[]byte("tail of the upload"),
		}
		ctx := t.Context()
		cr, err := e.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: aws.String(key), ContentType: aws.String("application/octet-stream")})
		if err != nil {
			t.Fatal(err)
		}
		var done []types.CompletedPart
		whole := sha256.New()
		for i, part := range parts {
			n := int32(i + 1)
			h := []Header{{"content-length", strconv.Itoa(len(part))}}
			u := e.presign(t, now, Request{Method: "PUT", Key: key, Headers: h, Query: []Param{
				{"x-id", "UploadPart"}, {"partNumber", strconv.Itoa(int(n))}, {"uploadId", *cr.UploadId},
			}})
			if i == len(parts)-1 {
				// Small on purpose: versitygw answers a bad signature before
				// reading the body, and resets a connection still sending MiBs.
				want(t, "tail part with one byte more", send(t, "PUT", u, h, append(part[:len(part):len(part)], 'x')), 403, "SignatureDoesNotMatch")
			}
			r := send(t, "PUT", u, h, part)
			want(t, fmt.Sprintf("part %d", n), r, 200, "")
			done = append(done, types.CompletedPart{PartNumber: &n, ETag: aws.String(r.header.Get("ETag"))})
			whole.Write(part)
		}
		if _, err := e.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &e.bucket, Key: aws.String(key), UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
		}); err != nil {
			t.Fatal(err)
		}
		got := send(t, "GET", e.presign(t, now, Request{Method: "GET", Key: key}), nil, nil)
		want(t, "GET", got, 200, "")
		if g, w := sha256.Sum256(got.body), whole.Sum(nil); !bytes.Equal(g[:], w) {
			t.Errorf("object SHA-256 %x, want %x (%d bytes)", g, w, len(got.body))
		}
	})
}

// postForm sends a multipart/form-data POST with the fields, then the file.
func postForm(t *testing.T, url string, fields map[string]string, file []byte) response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("file", "upload.bin")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), "POST", url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return do(t, req)
}
