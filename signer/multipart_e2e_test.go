package main

// End-to-end tests of the large-upload routes against versitygw, through the real signer
// over HTTP: presigned POST forms, multipart uploads on the v1 routes, and
// the Uppy (Companion) routes. Every refusal has a passing control beside it.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

const mib = 1 << 20

// multipartEnv sets small multipart limits: 5 MiB parts, 64 MiB objects,
// multipart from 1 MiB (the e2e single-upload limit).
var multipartEnv = map[string]string{
	"S3PRESIGN_MULTIPART_THRESHOLD": "1MiB",
	"S3PRESIGN_PART_SIZE":           "5MiB",
	"S3PRESIGN_MAX_MULTIPART_SIZE":  "64MiB",
}

// randomBytes returns n bytes from a seeded generator (reproducible).
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// s3Code is the S3 error code of an XML error body ("" if none).
func s3Code(body []byte) string {
	var e struct{ Code string }
	_ = xml.Unmarshal(body, &e)
	return e.Code
}

// wantS3Code checks a status and an S3 error code.
func wantS3Code(t *testing.T, what string, status int, body []byte, wantStatus int, code string) {
	t.Helper()
	if status != wantStatus || s3Code(body) != code {
		t.Fatalf("%s: S3 answered %d %s, want %d %s: %s", what, status, s3Code(body), wantStatus, code, body)
	}
}

// wantAPIError checks a signer refusal: status and code, and no URL.
func wantAPIError(t *testing.T, what string, status int, body []byte, wantStatus int, code string) {
	t.Helper()
	if status != wantStatus || errorCode(body) != code {
		t.Fatalf("%s: signer answered %d %s, want %d %s: %s", what, status, errorCode(body), wantStatus, code, body)
	}
	if bytes.Contains(body, []byte("X-Amz-")) {
		t.Fatalf("%s: a refusal carries a URL: %s", what, body)
	}
}

// getObject reads an object through a signer download URL.
func getObject(t *testing.T, p *signerProc, key string) (int, []byte, http.Header) {
	t.Helper()
	d := download(t, p, map[string]any{"key": key})
	return s3Do(t, "GET", d.URL, nil, nil)
}

// ---- presigned POST ----

type postResp struct {
	Key    string            `json:"key"`
	URL    string            `json:"url"`
	Method string            `json:"method"`
	Fields map[string]string `json:"fields"`
}

// postForm sends a browser-style form upload: the fields, then the file.
func postForm(t *testing.T, rawURL string, fields map[string]string, file []byte) (int, []byte) {
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
	req, err := http.NewRequest("POST", rawURL, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST form: %v", err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}

// with returns a copy of fields with k set to v.
func with(fields map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(fields))
	for name, value := range fields {
		out[name] = value
	}
	out[k] = v
	return out
}

func postPolicy(t *testing.T, p *signerProc, req map[string]any) postResp {
	t.Helper()
	req["method"] = "POST"
	var r postResp
	callJSON(t, "POST", p.URL+"/v1/uploads", jsonBody(t, req), 201, &r)
	if r.Method != "POST" || r.Fields["key"] != r.Key {
		t.Fatalf("POST answer %+v", r)
	}
	return r
}

func TestE2EPostPolicy(t *testing.T) {
	e := startS3(t)
	p := startSigner(t, e.env(nil), runDeps{}) // single-upload limit 1 MiB

	t.Run("under the limit: stored, same bytes and type", func(t *testing.T) {
		data := randomBytes(1000, 1)
		r := postPolicy(t, p, map[string]any{"fileName": "scan.pdf", "contentType": "application/pdf"})
		status, body := postForm(t, r.URL, r.Fields, data)
		wantS3(t, "POST", status, 204, body)
		status, got, hdr := getObject(t, p, r.Key)
		wantS3(t, "GET", status, 200, got)
		if !bytes.Equal(got, data) || hdr.Get("Content-Type") != "application/pdf" {
			t.Fatalf("stored %d bytes (%s), want the 1000 posted as application/pdf", len(got), hdr.Get("Content-Type"))
		}
	})

	t.Run("one byte over the limit", func(t *testing.T) {
		r := postPolicy(t, p, map[string]any{"fileName": "big.pdf", "contentType": "application/pdf"})
		status, body := postForm(t, r.URL, r.Fields, randomBytes(mib+1, 2))
		wantS3Code(t, "1 MiB + 1", status, body, 400, "EntityTooLarge")
		if status, _, _ := getObject(t, p, r.Key); status != 404 {
			t.Fatalf("refused POST stored something: GET %d", status)
		}
		status, body = postForm(t, r.URL, r.Fields, randomBytes(mib, 2))
		wantS3(t, "control: exactly 1 MiB", status, 204, body)
	})

	t.Run("one byte over the declared size", func(t *testing.T) {
		r := postPolicy(t, p, map[string]any{"fileName": "small.pdf", "contentType": "application/pdf", "size": 100})
		status, body := postForm(t, r.URL, r.Fields, randomBytes(101, 3))
		wantS3Code(t, "101 bytes", status, body, 400, "EntityTooLarge")
		status, body = postForm(t, r.URL, r.Fields, randomBytes(100, 3))
		wantS3(t, "control: the declared 100 bytes", status, 204, body)
	})

	t.Run("other key or Content-Type refused", func(t *testing.T) {
		data := []byte("%PDF-1.7 form")
		r := postPolicy(t, p, map[string]any{"fileName": "form.pdf", "contentType": "application/pdf"})
		otherKey := strings.Replace(r.Key, "form.pdf", "other.pdf", 1)
		status, body := postForm(t, r.URL, with(r.Fields, "key", otherKey), data)
		wantS3Code(t, "other key", status, body, 403, "AccessDenied")
		status, body = postForm(t, r.URL, with(r.Fields, "Content-Type", "text/html"), data)
		wantS3Code(t, "other Content-Type", status, body, 403, "AccessDenied")
		if status, _, _ := getObject(t, p, otherKey); status != 404 {
			t.Fatalf("refused POST stored %s: GET %d", otherKey, status)
		}
		if status, _, _ := getObject(t, p, r.Key); status != 404 {
			t.Fatalf("refused POST stored %s: GET %d", r.Key, status)
		}
		status, body = postForm(t, r.URL, r.Fields, data)
		wantS3(t, "control: as signed", status, 204, body)
	})

	t.Run("checksum pinned", func(t *testing.T) {
		data := []byte("%PDF-1.7 summed")
		r := postPolicy(t, p, map[string]any{"fileName": "sum.pdf", "contentType": "application/pdf", "sha256": sha256b64(data)})
		status, body := postForm(t, r.URL, r.Fields, []byte("%PDF-1.7 SUMMED"))
		wantS3Code(t, "other bytes", status, body, 400, "BadDigest")
		status, body = postForm(t, r.URL, r.Fields, data)
		wantS3(t, "control: the summed bytes", status, 204, body)
	})
}

// ---- v1 multipart ----

type createResp struct {
	Key       string `json:"key"`
	UploadID  string `json:"uploadId"`
	PartSize  int64  `json:"partSize"`
	PartCount int    `json:"partCount"`
	Token     string `json:"token"`
}

type partURL struct {
	PartNumber int64             `json:"partNumber"`
	URL        string            `json:"url"`
	Headers    map[string]string `json:"headers"`
}

type listedPart struct {
	PartNumber int    `json:"partNumber"`
	ETag       string `json:"etag"`
	Size       int64  `json:"size"`
}

// mpClient drives one signer's v1 multipart routes, with extra headers
// (an Authorization) on every call.
type mpClient struct {
	t   *testing.T
	p   *signerProc
	hdr []string
}

func (c mpClient) do(method, path, body string) (int, []byte) {
	c.t.Helper()
	resp, b := send(c.t, method, c.p.URL+path, body, c.hdr...)
	return resp.StatusCode, b
}

func (c mpClient) create(name, contentType string, size int) createResp {
	c.t.Helper()
	status, b := c.do("POST", "/v1/multipart", fmt.Sprintf(`{"fileName":%q,"contentType":%q,"size":%d}`, name, contentType, size))
	if status != 201 {
		c.t.Fatalf("create: %d %s", status, b)
	}
	var r createResp
	if err := json.Unmarshal(b, &r); err != nil {
		c.t.Fatal(err)
	}
	return r
}

func (c mpClient) parts(u createResp, numbers ...int) []partURL {
	c.t.Helper()
	nums, _ := json.Marshal(numbers)
	status, b := c.do("POST", "/v1/multipart/"+url.PathEscape(u.UploadID)+"/parts", `{"token":"`+u.Token+`","partNumbers":`+string(nums)+`}`)
	if status != 200 {
		c.t.Fatalf("parts %v: %d %s", numbers, status, b)
	}
	var r struct{ Parts []partURL }
	if err := json.Unmarshal(b, &r); err != nil {
		c.t.Fatal(err)
	}
	return r.Parts
}

func (c mpClient) list(u createResp) (int, []listedPart, []byte) {
	c.t.Helper()
	status, b := c.do("GET", "/v1/multipart/"+url.PathEscape(u.UploadID)+"/parts?token="+url.QueryEscape(u.Token), "")
	var r struct{ Parts []listedPart }
	if status == 200 {
		if err := json.Unmarshal(b, &r); err != nil {
			c.t.Fatal(err)
		}
	}
	return status, r.Parts, b
}

func (c mpClient) complete(u createResp, etags map[int]string) (int, []byte) {
	c.t.Helper()
	type part struct {
		PartNumber int    `json:"partNumber"`
		ETag       string `json:"etag"`
	}
	var parts []part
	for n := 1; n <= len(etags); n++ {
		parts = append(parts, part{n, etags[n]})
	}
	return c.do("POST", "/v1/multipart/"+url.PathEscape(u.UploadID)+"/complete", jsonBody(c.t, map[string]any{"token": u.Token, "parts": parts}))
}

func (c mpClient) abort(u createResp) (int, []byte) {
	c.t.Helper()
	return c.do("DELETE", "/v1/multipart/"+url.PathEscape(u.UploadID)+"?token="+url.QueryEscape(u.Token), "")
}

// putPart uploads one part to its URL and returns S3's ETag.
func putPart(t *testing.T, p partURL, data []byte) string {
	t.Helper()
	status, body, hdr := s3Do(t, "PUT", p.URL, p.Headers, data)
	wantS3(t, fmt.Sprintf("PUT part %d", p.PartNumber), status, 200, body)
	if hdr.Get("ETag") == "" {
		t.Fatalf("part %d: no ETag", p.PartNumber)
	}
	return hdr.Get("ETag")
}

// chunks splits data into the parts of an upload.
func chunks(data []byte, partSize int64) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		n := min(int64(len(data)), partSize)
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

// pending lists the bucket's incomplete multipart uploads for key (as the
// owner, an action the signer's own role does not hold).
func (e *e2e) pending(t *testing.T, key string) []string {
	t.Helper()
	out, err := e.client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e2eBucket), Prefix: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range out.Uploads {
		if aws.ToString(u.Key) == key {
			ids = append(ids, aws.ToString(u.UploadId))
		}
	}
	return ids
}

// s3Parts lists an upload's parts as the owner (0 parts, false if the
// upload is gone).
func (e *e2e) s3Parts(t *testing.T, key, uploadID string) (int, bool) {
	t.Helper()
	out, err := e.client.ListParts(context.Background(), &s3.ListPartsInput{Bucket: aws.String(e2eBucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchUpload" {
		return 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Parts), true
}

func TestE2EMultipart(t *testing.T) {
	e := startS3(t)
	p := startSigner(t, e.env(multipartEnv), runDeps{})
	c := mpClient{t: t, p: p}
	data := randomBytes(10*mib+12345, 7) // 5 MiB, 5 MiB, tail
	want := sha256.Sum256(data)

	t.Run("three parts complete and the SHA-256 matches", func(t *testing.T) {
		c := mpClient{t: t, p: p}
		u := c.create("three parts.pdf", "application/pdf", len(data))
		if u.PartSize != 5*mib || u.PartCount != 3 {
			t.Fatalf("create answer %+v", u)
		}
		urls := c.parts(u, 1, 2, 3)
		parts := chunks(data, u.PartSize)
		// The tail with one byte more: its length is signed.
		status, body, _ := s3Do(t, "PUT", urls[2].URL, urls[2].Headers, append(bytes.Clone(parts[2]), 'x'))
		wantS3Code(t, "tail with one byte more", status, body, 403, "SignatureDoesNotMatch")
		etags := map[int]string{}
		for i, pu := range urls {
			etags[i+1] = putPart(t, pu, parts[i])
		}
		status, body = c.complete(u, etags)
		wantS3(t, "complete", status, 200, body)
		var done struct{ Key string }
		json.Unmarshal(body, &done)
		if done.Key != u.Key {
			t.Fatalf("completed key %q, want %q", done.Key, u.Key)
		}
		status, got, hdr := getObject(t, p, u.Key)
		wantS3(t, "GET", status, 200, nil)
		if sha256.Sum256(got) != want || hdr.Get("Content-Type") != "application/pdf" {
			t.Fatalf("object: %d bytes, SHA-256 %x (%s); want %d bytes, %x as application/pdf", len(got), sha256.Sum256(got), hdr.Get("Content-Type"), len(data), want)
		}
		if ids := e.pending(t, u.Key); len(ids) != 0 {
			t.Errorf("uploads still pending after completion: %v", ids)
		}
	})

	t.Run("resume: list after two parts, then finish", func(t *testing.T) {
		u := c.create("resumed.pdf", "application/pdf", len(data))
		parts := chunks(data, u.PartSize)
		first := c.parts(u, 1, 2)
		putPart(t, first[0], parts[0])
		putPart(t, first[1], parts[1])

		// The page reloads: it has only the upload id and token.
		status, listed, body := c.list(u)
		wantS3(t, "list", status, 200, body)
		if len(listed) != 2 || listed[0].PartNumber != 1 || listed[1].PartNumber != 2 || listed[1].Size != 5*mib || listed[0].ETag == "" {
			t.Fatalf("listed %+v, want parts 1 and 2 of 5 MiB", listed)
		}
		etags := map[int]string{1: listed[0].ETag, 2: listed[1].ETag}
		etags[3] = putPart(t, c.parts(u, 3)[0], parts[2])
		status, body = c.complete(u, etags)
		wantS3(t, "complete", status, 200, body)
		status, got, _ := getObject(t, p, u.Key)
		if status != 200 || sha256.Sum256(got) != want {
			t.Fatalf("resumed object: GET %d, SHA-256 %x, want %x", status, sha256.Sum256(got), want)
		}
	})

	t.Run("abort leaves no object and no upload", func(t *testing.T) {
		u := c.create("aborted.pdf", "application/pdf", len(data))
		putPart(t, c.parts(u, 1)[0], data[:5*mib])
		if ids := e.pending(t, u.Key); len(ids) != 1 || ids[0] != u.UploadID {
			t.Fatalf("control: pending uploads %v, want [%s]", ids, u.UploadID)
		}
		status, body := c.abort(u)
		wantS3(t, "abort", status, 204, body)
		if ids := e.pending(t, u.Key); len(ids) != 0 {
			t.Errorf("pending uploads after abort: %v", ids)
		}
		if _, ok := e.s3Parts(t, u.Key, u.UploadID); ok {
			t.Error("ListParts still finds the aborted upload")
		}
		if status, _, _ := getObject(t, p, u.Key); status != 404 {
			t.Errorf("GET after abort: %d, want 404", status)
		}
		status, _, body = c.list(u)
		wantAPIError(t, "list after abort", status, body, 404, "not_found")
		status, body = c.abort(u)
		wantAPIError(t, "abort twice", status, body, 404, "not_found")
	})

	t.Run("a client ETag list other than S3's is refused and aborted", func(t *testing.T) {
		u := c.create("etag.pdf", "application/pdf", len(data))
		parts := chunks(data, u.PartSize)
		etags := map[int]string{}
		for i, pu := range c.parts(u, 1, 2, 3) {
			etags[i+1] = putPart(t, pu, parts[i])
		}
		etags[2] = `"00000000000000000000000000000000"`
		status, body := c.complete(u, etags)
		wantAPIError(t, "wrong ETag", status, body, 400, "invalid_request")
		if status, _, _ := getObject(t, p, u.Key); status != 404 {
			t.Fatalf("refused completion stored an object: GET %d", status)
		}
		if _, ok := e.s3Parts(t, u.Key, u.UploadID); ok {
			t.Fatal("the refused upload was not aborted: ListParts still finds it")
		}
		// Control: the same steps with S3's ETags complete.
		v := c.create("etag.pdf", "application/pdf", len(data))
		etags = map[int]string{}
		for i, pu := range c.parts(v, 1, 2, 3) {
			etags[i+1] = putPart(t, pu, parts[i])
		}
		status, body = c.complete(v, etags)
		wantS3(t, "control: S3's ETags", status, 200, body)
	})

	t.Run("part numbers out of range", func(t *testing.T) {
		u := c.create("range.pdf", "application/pdf", len(data))
		path := "/v1/multipart/" + url.PathEscape(u.UploadID) + "/parts"
		for _, nums := range []string{"[0]", "[10001]", "[4]", "[-1]", "[1,2,3,1]"} {
			status, body := c.do("POST", path, `{"token":"`+u.Token+`","partNumbers":`+nums+`}`)
			wantAPIError(t, "parts "+nums, status, body, 400, "invalid_request")
		}
		if got := c.parts(u, 3); len(got) != 1 || got[0].Headers["Content-Length"] != "12345" {
			t.Fatalf("control: part 3 %+v", got)
		}
	})

	t.Run("completion refused when the object exists", func(t *testing.T) {
		u := c.create("exists.pdf", "application/pdf", 5)
		etag := putPart(t, c.parts(u, 1)[0], []byte("parts"))
		// Another writer stores an object under the key meanwhile.
		if _, err := e.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(e2eBucket), Key: aws.String(u.Key), Body: strings.NewReader("first")}); err != nil {
			t.Fatal(err)
		}
		status, body := c.complete(u, map[int]string{1: etag})
		wantAPIError(t, "complete over an object", status, body, 409, "conflict")
		status, got, _ := getObject(t, p, u.Key)
		if status != 200 || string(got) != "first" {
			t.Fatalf("the object was replaced: GET %d %q", status, got)
		}
		// versitygw keeps the upload after the refusal: the client aborts it
		// (or the lifecycle rule does).
		if n, ok := e.s3Parts(t, u.Key, u.UploadID); !ok || n != 1 {
			t.Fatalf("after the refused completion the upload has %d parts (exists %v)", n, ok)
		}
		status, body = c.abort(u)
		wantS3(t, "abort after the conflict", status, 204, body)
		// Control: the same steps without the other writer complete.
		v := c.create("exists.pdf", "application/pdf", 5)
		status, body = c.complete(v, map[int]string{1: putPart(t, c.parts(v, 1)[0], []byte("parts"))})
		wantS3(t, "control: no object yet", status, 200, body)
	})
}

func TestE2EMultipartGuessedOrForeignUpload(t *testing.T) {
	e := startS3(t)
	env := e.env(multipartEnv)
	keys := apiKeyEnv(t, env, "alice", "bob")
	p := startSigner(t, env, runDeps{})
	alice := mpClient{t: t, p: p, hdr: withBearer(keys["alice"])}
	bob := mpClient{t: t, p: p, hdr: withBearer(keys["bob"])}
	data := randomBytes(5*mib+10, 9)

	a := alice.create("alice.pdf", "application/pdf", len(data))
	b := bob.create("bob.pdf", "application/pdf", len(data))
	aParts := alice.parts(a, 1, 2)
	etagA1 := putPart(t, aParts[0], data[:5*mib])
	putPart(t, bob.parts(b, 1)[0], data[:5*mib])
	if !strings.HasPrefix(a.Key, "uploads/alice/") || !strings.HasPrefix(b.Key, "uploads/bob/") {
		t.Fatalf("keys %q %q", a.Key, b.Key)
	}

	// Every route, with someone else's upload id, a guessed one, or a token
	// presented by the wrong caller.
	bWithAToken := createResp{UploadID: b.UploadID, Token: a.Token}
	guessed := createResp{UploadID: a.UploadID + "x", Token: a.Token}
	bobHoldsA := a // the token leaked to bob
	for _, tc := range []struct {
		name string
		c    mpClient
		u    createResp
	}{
		{"alice's token on bob's upload id", alice, bWithAToken},
		{"a guessed upload id", alice, guessed},
		{"bob presents alice's token", bob, bobHoldsA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := url.PathEscape(tc.u.UploadID)
			status, body := tc.c.do("POST", "/v1/multipart/"+id+"/parts", `{"token":"`+tc.u.Token+`","partNumbers":[1]}`)
			wantAPIError(t, "parts", status, body, 403, "forbidden")
			status, _, body = tc.c.list(tc.u)
			wantAPIError(t, "list", status, body, 403, "forbidden")
			status, body = tc.c.complete(tc.u, map[int]string{1: etagA1})
			wantAPIError(t, "complete", status, body, 403, "forbidden")
			status, body = tc.c.abort(tc.u)
			wantAPIError(t, "abort", status, body, 403, "forbidden")
		})
	}
	t.Run("garbage token", func(t *testing.T) {
		status, body := alice.abort(createResp{UploadID: a.UploadID, Token: "bm90LmE.dG9rZW4"})
		wantAPIError(t, "abort", status, body, 400, "invalid_request")
	})

	// Nothing changed: both uploads still hold their part, no object exists.
	for _, u := range []createResp{a, b} {
		if n, ok := e.s3Parts(t, u.Key, u.UploadID); !ok || n != 1 {
			t.Errorf("%s: %d parts (exists %v), want 1", u.Key, n, ok)
		}
	}
	if got := e.keys(t); len(got) != 0 {
		t.Errorf("objects after refusals: %v", got)
	}
	// Control: each owner finishes their own upload.
	status, listed, body := alice.list(a)
	wantS3(t, "control: alice lists", status, 200, body)
	etags := map[int]string{1: listed[0].ETag, 2: putPart(t, aParts[1], data[5*mib:])}
	status, body = alice.complete(a, etags)
	wantS3(t, "control: alice completes", status, 200, body)
	status, body = bob.abort(b)
	wantS3(t, "control: bob aborts", status, 204, body)
}

// ---- Uppy (Companion) routes over HTTP ----

func TestE2EUppyRoutes(t *testing.T) {
	e := startS3(t)
	p := startSigner(t, e.env(multipartEnv), runDeps{})
	data := randomBytes(5*mib+999, 11)

	t.Run("params: a POST form", func(t *testing.T) {
		var r struct {
			Method string
			URL    string
			Fields map[string]string
		}
		callJSON(t, "GET", p.URL+"/s3/params?filename=photo.png&type=image%2Fpng&metadata%5Bname%5D=photo.png", "", 200, &r)
		png := []byte("\x89PNG\r\n\x1a\n uppy")
		status, body := postForm(t, r.URL, r.Fields, png)
		wantS3(t, "POST", status, 204, body)
		status, got, _ := getObject(t, p, r.Fields["key"])
		if status != 200 || !bytes.Equal(got, png) {
			t.Fatalf("GET %d %q", status, got)
		}
	})

	t.Run("multipart as @uppy/aws-s3 drives it", func(t *testing.T) {
		var created struct{ Key, UploadID string }
		callJSON(t, "POST", p.URL+"/s3/multipart", `{"filename":"movie.pdf","type":"application/pdf","metadata":{"name":"movie.pdf"}}`, 200, &created)
		base := p.URL + "/s3/multipart/" + url.PathEscape(created.UploadID)
		k := "key=" + url.QueryEscape(created.Key)

		var one struct{ URL string }
		callJSON(t, "GET", base+"/1?"+k, "", 200, &one)
		var batch struct {
			PresignedURLs map[string]string `json:"presignedUrls"`
		}
		callJSON(t, "GET", base+"/batch?"+k+"&partNumbers=2", "", 200, &batch)
		put := func(u string, b []byte) string {
			status, body, hdr := s3Do(t, "PUT", u, nil, b)
			wantS3(t, "PUT part", status, 200, body)
			return hdr.Get("ETag")
		}
		e1 := put(one.URL, data[:5*mib])
		e2 := put(batch.PresignedURLs["2"], data[5*mib:])

		var listed []struct {
			PartNumber int
			ETag       string
			Size       int64
		}
		callJSON(t, "GET", base+"?"+k, "", 200, &listed)
		if len(listed) != 2 || listed[1].Size != 999 {
			t.Fatalf("listed %+v", listed)
		}
		status, body := call(t, "GET", base+"/1?key="+url.QueryEscape(created.Key+"x"), "")
		wantAPIError(t, "another key", status, body, 403, "forbidden")

		var done struct{ Location, Key string }
		callJSON(t, "POST", base+"/complete?"+k, `{"parts":[{"PartNumber":1,"ETag":`+strconv.Quote(e1)+`},{"PartNumber":2,"ETag":`+strconv.Quote(e2)+`}]}`, 200, &done)
		if done.Key != created.Key || done.Location != e.s3.Endpoint+"/"+e2eBucket+"/"+strings.ReplaceAll(created.Key, " ", "%20") {
			t.Fatalf("complete answer %+v", done)
		}
		status, got, _ := getObject(t, p, created.Key)
		if status != 200 || sha256.Sum256(got) != sha256.Sum256(data) {
			t.Fatalf("object: GET %d, %d bytes", status, len(got))
		}
	})

	t.Run("a client ETag list other than S3's is refused and aborted", func(t *testing.T) {
		start := func() (base, k string) {
			var created struct{ Key, UploadID string }
			callJSON(t, "POST", p.URL+"/s3/multipart", `{"filename":"swapped.pdf","type":"application/pdf"}`, 200, &created)
			return p.URL + "/s3/multipart/" + url.PathEscape(created.UploadID), "key=" + url.QueryEscape(created.Key)
		}
		upload := func(base, k string) string {
			var one struct{ URL string }
			callJSON(t, "GET", base+"/1?"+k, "", 200, &one)
			status, body, hdr := s3Do(t, "PUT", one.URL, nil, []byte("uppy part"))
			wantS3(t, "PUT part", status, 200, body)
			return hdr.Get("ETag")
		}
		base, k := start()
		upload(base, k)
		status, body := call(t, "POST", base+"/complete?"+k, `{"parts":[{"PartNumber":1,"ETag":"\"00000000000000000000000000000000\""}]}`)
		wantAPIError(t, "other ETag", status, body, 400, "invalid_request")
		key, _ := url.ParseQuery(k)
		if ids := e.pending(t, key.Get("key")); len(ids) != 0 {
			t.Fatalf("the refused upload was not aborted: pending %v", ids)
		}
		if status, _, _ := getObject(t, p, key.Get("key")); status != 404 {
			t.Fatalf("refused completion stored an object: GET %d", status)
		}
		// Control: S3's ETag completes.
		base, k = start()
		etag := upload(base, k)
		status, body = call(t, "POST", base+"/complete?"+k, `{"parts":[{"PartNumber":1,"ETag":`+strconv.Quote(etag)+`}]}`)
		wantS3(t, "control: S3's ETag", status, 200, body)
	})

	t.Run("abort", func(t *testing.T) {
		var created struct{ Key, UploadID string }
		callJSON(t, "POST", p.URL+"/s3/multipart", `{"filename":"gone.pdf","type":"application/pdf"}`, 200, &created)
		base := p.URL + "/s3/multipart/" + url.PathEscape(created.UploadID) + "?key=" + url.QueryEscape(created.Key)
		if ids := e.pending(t, created.Key); len(ids) != 1 {
			t.Fatalf("control: pending %v", ids)
		}
		status, body := call(t, "DELETE", base, "")
		if status != 200 || strings.TrimSpace(string(body)) != "{}" {
			t.Fatalf("abort: %d %s", status, body)
		}
		if ids := e.pending(t, created.Key); len(ids) != 0 {
			t.Fatalf("pending after abort %v", ids)
		}
	})
}
