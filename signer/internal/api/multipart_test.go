package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/auth"
	"github.com/s3presign/s3presign/signer/internal/rules"
	"github.com/s3presign/s3presign/signer/internal/uploadtoken"
)

// These tests check request validation and token binding through the
// handler. S3 itself is a recording stand-in here, so that a refusal can be
// shown to call nothing; S3's behaviour is tested against versitygw in the
// signer package's end-to-end tests.

const mib = 1 << 20

// testMultipart are the limits of these tests: 5 MiB parts, 1 GiB objects
// (205 parts at most without a declared size).
var testMultipart = rules.Multipart{Threshold: 5 * mib, PartSize: 5 * mib, MaxSize: 1 << 30}

// store records calls and answers as configured.
type store struct {
	mu        sync.Mutex
	calls     []string
	parts     []types.Part // what ListParts answers
	completed *s3.CompleteMultipartUploadInput
	created   *s3.CreateMultipartUploadInput
	err       error         // returned by every call when set
	delay     time.Duration // CompleteMultipartUpload takes this long
}

func (s *store) record(call string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
	return s.err
}

func (s *store) called() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *store) CreateMultipartUpload(_ context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	if err := s.record("create"); err != nil {
		return nil, err
	}
	s.created = in
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String("upload-1"), Key: in.Key}, nil
}

func (s *store) ListParts(_ context.Context, in *s3.ListPartsInput, _ ...func(*s3.Options)) (*s3.ListPartsOutput, error) {
	if err := s.record("list"); err != nil {
		return nil, err
	}
	// Pages of two, to exercise the paging.
	start := 0
	if m := aws.ToString(in.PartNumberMarker); m != "" {
		start, _ = strconv.Atoi(m)
	}
	var page []types.Part
	for _, p := range s.parts {
		if int(aws.ToInt32(p.PartNumber)) > start && len(page) < 2 {
			page = append(page, p)
		}
	}
	out := &s3.ListPartsOutput{Parts: page}
	if len(page) == 2 && aws.ToInt32(page[1].PartNumber) < aws.ToInt32(s.parts[len(s.parts)-1].PartNumber) {
		out.IsTruncated = aws.Bool(true)
		out.NextPartNumberMarker = aws.String(strconv.Itoa(int(aws.ToInt32(page[1].PartNumber))))
	}
	return out, nil
}

func (s *store) CompleteMultipartUpload(_ context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	if err := s.record("complete"); err != nil {
		return nil, err
	}
	time.Sleep(s.delay) // a slow S3 assembling a large object
	s.completed = in
	return &s3.CompleteMultipartUploadOutput{Key: in.Key}, nil
}

func (s *store) AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return &s3.AbortMultipartUploadOutput{}, s.record("abort")
}

// testCaller names the caller from the X-Test-Caller header.
var testCaller stubAuth = func(r *http.Request) (auth.Caller, error) {
	return auth.Caller{Name: r.Header.Get("X-Test-Caller")}, nil
}

var testTokenKey = bytes.Repeat([]byte{42}, uploadtoken.MinKeyBytes)

// newMultipartServer is newTestServer with the multipart routes on a
// recording store, and callers named by the X-Test-Caller header.
func newMultipartServer(t testing.TB, st *store, opt func(*Deps)) *testServer {
	t.Helper()
	tokens, err := uploadtoken.New(testTokenKey)
	if err != nil {
		t.Fatal(err)
	}
	return newTestServer(t, func(d *Deps) {
		d.Store, d.Tokens, d.Multipart, d.Auth = st, tokens, testMultipart, testCaller
		if opt != nil {
			opt(d)
		}
	})
}

// create starts a v1 upload of size bytes as caller and returns the answer.
func create(t *testing.T, s *testServer, caller string, size int64) multipartCreateResponse {
	t.Helper()
	w := s.do("POST", "/v1/multipart", "application/json",
		fmt.Sprintf(`{"fileName":"big photo.png","contentType":"image/png","size":%d}`, size), "X-Test-Caller", caller)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: status %d: %s", w.Code, w.Body)
	}
	var r multipartCreateResponse
	decode(t, w, &r)
	return r
}

func TestMultipartCreate(t *testing.T) {
	st := &store{}
	s := newMultipartServer(t, st, nil)
	r := create(t, s, "alice", 12*mib+18)
	if r.Key != "uploads/alice/"+zeroID+"/big photo.png" || r.UploadID != "upload-1" || r.PartSize != 5*mib || r.PartCount != 3 {
		t.Errorf("answer %+v", r)
	}
	if want := fixedNow.Add(rules.MultipartLifetime); !r.ExpiresAt.Equal(want) {
		t.Errorf("expiresAt %s, want %s", r.ExpiresAt, want)
	}
	if aws.ToString(st.created.ContentType) != "image/png" || aws.ToString(st.created.Key) != r.Key || aws.ToString(st.created.Bucket) != "test-bucket" {
		t.Errorf("CreateMultipartUpload input %+v", st.created)
	}
	tokens, _ := uploadtoken.New(testTokenKey)
	c, err := tokens.Verify(r.Token, r.UploadID, "alice", fixedNow)
	if err != nil || c.Key != r.Key || c.Size != 12*mib+18 || c.PartSize != 5*mib {
		t.Errorf("token claims %+v, %v", c, err)
	}
}

func TestMultipartCreateRefusals(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"control: at the multipart limit", `{"fileName":"a.png","contentType":"image/png","size":1073741824}`, 201, ""},
		{"size missing", `{"fileName":"a.png","contentType":"image/png"}`, 400, apierr.Invalid},
		{"size zero", `{"fileName":"a.png","contentType":"image/png","size":0}`, 400, apierr.Invalid},
		{"over the multipart limit", `{"fileName":"a.png","contentType":"image/png","size":1073741825}`, 413, apierr.TooLarge},
		{"type not allowed", `{"fileName":"a.mp4","contentType":"video/mp4","size":1}`, 415, apierr.MediaType},
		{"extension disagrees", `{"fileName":"a.jpg","contentType":"image/png","size":1}`, 400, apierr.Invalid},
		{"traversal", `{"fileName":"../a.png","contentType":"image/png","size":1}`, 400, apierr.Invalid},
		{"unknown field", `{"fileName":"a.png","contentType":"image/png","size":1,"partSize":1}`, 400, apierr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &store{}
			s := newMultipartServer(t, st, nil)
			w := s.postJSON("/v1/multipart", tt.body)
			if tt.code == "" {
				if w.Code != tt.status {
					t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
				}
				return
			}
			wantError(t, w, tt.status, tt.code)
			if c := st.called(); len(c) != 0 {
				t.Errorf("a refused request called S3: %v", c)
			}
		})
	}
}

func TestMultipartPartsSignExactLengths(t *testing.T) {
	st := &store{}
	s := newMultipartServer(t, st, nil)
	r := create(t, s, "", 10*mib+18)
	w := s.postJSON("/v1/multipart/upload-1/parts", `{"token":"`+r.Token+`","partNumbers":[3,1,2]}`)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got partsResponse
	decode(t, w, &got)
	want := map[int64]string{1: "5242880", 2: "5242880", 3: "18"}
	for _, p := range got.Parts {
		q := query(t, p.URL)
		if p.Headers.ContentLength != want[p.PartNumber] {
			t.Errorf("part %d Content-Length %q, want %q", p.PartNumber, p.Headers.ContentLength, want[p.PartNumber])
		}
		if q.Get("partNumber") != strconv.FormatInt(p.PartNumber, 10) || q.Get("uploadId") != "upload-1" || q.Get("x-id") != "UploadPart" {
			t.Errorf("part %d query %v", p.PartNumber, q)
		}
		if q.Get("X-Amz-SignedHeaders") != "content-length;host" {
			t.Errorf("part %d signed headers %q", p.PartNumber, q.Get("X-Amz-SignedHeaders"))
		}
		wantOnlyQuery(t, q, "partNumber", "uploadId", "x-id")
		if urlPath(t, p.URL) != "/test-bucket/"+r.Key {
			t.Errorf("part %d path %q", p.PartNumber, urlPath(t, p.URL))
		}
	}
	if len(got.Parts) != 3 || !got.ExpiresAt.Equal(fixedNow.Add(5*time.Minute)) {
		t.Errorf("answer %+v", got)
	}
	if c := st.called(); len(c) != 1 {
		t.Errorf("signing parts called S3: %v", c)
	}
}

func TestMultipartPartsRefusals(t *testing.T) {
	st := &store{}
	s := newMultipartServer(t, st, nil)
	r := create(t, s, "alice", 12*mib+18) // 3 parts
	other := create(t, s, "bob", 12*mib+18)
	uppy := newUppy(t, s, "alice")
	tok := func(token, numbers string) string { return `{"token":"` + token + `","partNumbers":` + numbers + `}` }
	tests := []struct {
		name, path, caller, body string
		status                   int
		code                     string
	}{
		{"control", "/v1/multipart/upload-1/parts", "alice", tok(r.Token, "[1,2,3]"), 200, ""},
		{"part 0", "/v1/multipart/upload-1/parts", "alice", tok(r.Token, "[0]"), 400, apierr.Invalid},
		{"part 10001", "/v1/multipart/upload-1/parts", "alice", tok(r.Token, "[10001]"), 400, apierr.Invalid},
		{"beyond the declared size", "/v1/multipart/upload-1/parts", "alice", tok(r.Token, "[4]"), 400, apierr.Invalid},
		{"more numbers than parts", "/v1/multipart/upload-1/parts", "alice", tok(r.Token, "[1,2,3,1]"), 400, apierr.Invalid},
		{"repeated", "/v1/multipart/upload-1/parts", "alice", tok(r.Token, "[1,1]"), 400, apierr.Invalid},
		{"empty", "/v1/multipart/upload-1/parts", "alice", tok(r.Token, "[]"), 400, apierr.Invalid},
		{"not integers", "/v1/multipart/upload-1/parts", "alice", tok(r.Token, "[1.5]"), 400, apierr.Invalid},
		{"not an array", "/v1/multipart/upload-1/parts", "alice", tok(r.Token, `"1"`), 400, apierr.Invalid},
		{"no token", "/v1/multipart/upload-1/parts", "alice", `{"partNumbers":[1]}`, 400, apierr.Invalid},
		{"garbage token", "/v1/multipart/upload-1/parts", "alice", tok("abc.def", "[1]"), 400, apierr.Invalid},
		{"guessed upload id", "/v1/multipart/upload-2/parts", "alice", tok(r.Token, "[1]"), 403, apierr.Forbidden},
		{"another caller's token", "/v1/multipart/upload-1/parts", "alice", tok(other.Token, "[1]"), 403, apierr.Forbidden},
		{"token presented by another caller", "/v1/multipart/upload-1/parts", "bob", tok(r.Token, "[1]"), 403, apierr.Forbidden},
		{"anonymous caller", "/v1/multipart/upload-1/parts", "", tok(r.Token, "[1]"), 403, apierr.Forbidden},
		{"token of an Uppy upload", "/v1/multipart/upload-1/parts", "alice", tok(uppy.token, "[1]"), 403, apierr.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(st.called())
			w := s.do("POST", tt.path, "application/json", tt.body, "X-Test-Caller", tt.caller)
			if tt.code == "" {
				if w.Code != tt.status {
					t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
				}
				return
			}
			wantError(t, w, tt.status, tt.code)
			if c := st.called(); len(c) != before {
				t.Errorf("a refused request called S3: %v", c[before:])
			}
		})
	}
	t.Run("expired token", func(t *testing.T) {
		later := newMultipartServer(t, st, func(d *Deps) { d.Clock = func() time.Time { return fixedNow.Add(rules.MultipartLifetime) } })
		w := later.do("POST", "/v1/multipart/upload-1/parts", "application/json", tok(r.Token, "[1]"), "X-Test-Caller", "alice")
		wantError(t, w, 403, apierr.Forbidden)
	})
}

// threeParts is what S3 holds for a v1 upload of 12 MiB + 18 bytes.
func threeParts() []types.Part {
	return []types.Part{
		{PartNumber: aws.Int32(1), ETag: aws.String(`"a"`), Size: aws.Int64(5 * mib)},
		{PartNumber: aws.Int32(2), ETag: aws.String(`"b"`), Size: aws.Int64(5 * mib)},
		{PartNumber: aws.Int32(3), ETag: aws.String(`"c"`), Size: aws.Int64(2*mib + 18)},
	}
}

func TestMultipartCompleteRefusals(t *testing.T) {
	st := &store{parts: threeParts()}
	s := newMultipartServer(t, st, nil)
	r := create(t, s, "", 12*mib+18) // 3 parts
	body := func(parts string) string { return `{"token":"` + r.Token + `","parts":` + parts + `}` }
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"part missing", body(`[{"partNumber":1,"etag":"\"a\""},{"partNumber":2,"etag":"\"b\""}]`), 400, apierr.Invalid},
		{"part beyond the size", body(`[{"partNumber":1,"etag":"a"},{"partNumber":2,"etag":"b"},{"partNumber":3,"etag":"c"},{"partNumber":4,"etag":"d"}]`), 400, apierr.Invalid},
		{"descending", body(`[{"partNumber":2,"etag":"b"},{"partNumber":1,"etag":"a"},{"partNumber":3,"etag":"c"}]`), 400, apierr.Invalid},
		{"repeated", body(`[{"partNumber":1,"etag":"a"},{"partNumber":1,"etag":"a"},{"partNumber":3,"etag":"c"}]`), 400, apierr.Invalid},
		{"empty etag", body(`[{"partNumber":1,"etag":""},{"partNumber":2,"etag":"b"},{"partNumber":3,"etag":"c"}]`), 400, apierr.Invalid},
		{"etag with a newline", body(`[{"partNumber":1,"etag":"a\n"},{"partNumber":2,"etag":"b"},{"partNumber":3,"etag":"c"}]`), 400, apierr.Invalid},
		{"etag missing", body(`[{"partNumber":1},{"partNumber":2,"etag":"b"},{"partNumber":3,"etag":"c"}]`), 400, apierr.Invalid},
		{"unknown member", body(`[{"partNumber":1,"etag":"a","size":1}]`), 400, apierr.Invalid},
		{"no parts", body(`[]`), 400, apierr.Invalid},
		{"parts not an array", body(`{}`), 400, apierr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(st.called())
			wantError(t, s.postJSON("/v1/multipart/upload-1/complete", tt.body), tt.status, tt.code)
			if c := st.called(); len(c) != before {
				t.Errorf("a refused request called S3: %v", c[before:])
			}
		})
	}
	t.Run("guessed upload id", func(t *testing.T) {
		before := len(st.called())
		w := s.postJSON("/v1/multipart/upload-2/complete", body(`[{"partNumber":1,"etag":"a"},{"partNumber":2,"etag":"b"},{"partNumber":3,"etag":"c"}]`))
		wantError(t, w, 403, apierr.Forbidden)
		if c := st.called(); len(c) != before {
			t.Errorf("a refused request called S3: %v", c[before:])
		}
	})
	t.Run("control", func(t *testing.T) {
		w := s.postJSON("/v1/multipart/upload-1/complete", body(`[{"partNumber":1,"etag":"\"a\""},{"partNumber":2,"etag":"\"b\""},{"partNumber":3,"etag":"\"c\""}]`))
		if w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var got completeResponse
		decode(t, w, &got)
		in := st.completed
		if got.Key != r.Key || aws.ToString(in.IfNoneMatch) != "*" || aws.ToString(in.UploadId) != "upload-1" || len(in.MultipartUpload.Parts) != 3 ||
			aws.ToString(in.MultipartUpload.Parts[2].ETag) != `"c"` || aws.ToInt32(in.MultipartUpload.Parts[2].PartNumber) != 3 {
			t.Errorf("answer %+v, CompleteMultipartUpload input %+v", got, in)
		}
	})
}

// apiError is an S3 error as the SDK returns it.
func apiError(code string, status int) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "Op", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: &smithy.GenericAPIError{Code: code, Message: "from S3"}},
	}}
}

func TestS3ErrorsMapToCodes(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{apiError("NoSuchUpload", 404), 404, apierr.NotFound},
		{apiError("InvalidPart", 400), 400, apierr.Invalid},
		{apiError("InvalidPartOrder", 400), 400, apierr.Invalid},
		{apiError("EntityTooSmall", 400), 400, apierr.Invalid},
		{apiError("PreconditionFailed", 412), 409, apierr.Conflict},
		{apiError("ConditionalRequestConflict", 409), 409, apierr.Conflict},
		{apiError("SlowDown", 503), 503, apierr.Unavailable},
		{apiError("SomethingNew", 502), 503, apierr.Unavailable},
		{apiError("AccessDenied", 403), 500, apierr.Internal},
		{errors.New("dial tcp 127.0.0.1:9: connection refused"), 503, apierr.Unavailable},
		{context.DeadlineExceeded, 503, apierr.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			st := &store{}
			s := newMultipartServer(t, st, nil)
			r := create(t, s, "", 1)
			st.err = tt.err
			w := s.do("DELETE", "/v1/multipart/upload-1?token="+r.Token, "", "")
			e := wantError(t, w, tt.status, tt.code)
			if strings.Contains(e.Message, "from S3") || strings.Contains(e.Message, "127.0.0.1") {
				t.Errorf("message %q shows the cause", e.Message)
			}
			if tt.code == apierr.Internal && !strings.Contains(s.logs.String(), "AccessDenied") {
				t.Errorf("internal error cause not logged:\n%s", s.logs)
			}
		})
	}
}

func TestMultipartListAndAbort(t *testing.T) {
	st := &store{}
	for n := int32(1); n <= 5; n++ {
		st.parts = append(st.parts, types.Part{PartNumber: aws.Int32(n), ETag: aws.String(fmt.Sprintf(`"e%d"`, n)), Size: aws.Int64(5 * mib)})
	}
	s := newMultipartServer(t, st, nil)
	r := create(t, s, "", 30*mib)
	w := s.do("GET", "/v1/multipart/upload-1/parts?token="+r.Token, "", "")
	if w.Code != 200 {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	var got listResponse
	decode(t, w, &got)
	if len(got.Parts) != 5 || got.Parts[4] != (listedPart{PartNumber: 5, ETag: `"e5"`, Size: 5 * mib}) || got.Key != r.Key {
		t.Errorf("list answer %+v", got)
	}
	if c := st.called(); strings.Join(c, ",") != "create,list,list,list" {
		t.Errorf("calls %v, want three pages", c)
	}
	wantError(t, s.do("GET", "/v1/multipart/upload-1/parts", "", ""), 400, apierr.Invalid)
	wantError(t, s.do("GET", "/v1/multipart/upload-1/parts?token="+r.Token+"&token="+r.Token, "", ""), 400, apierr.Invalid)
	wantError(t, s.do("DELETE", "/v1/multipart/upload-9?token="+r.Token, "", ""), 403, apierr.Forbidden)
	if w := s.do("DELETE", "/v1/multipart/upload-1?token="+r.Token, "", ""); w.Code != 204 || w.Body.Len() != 0 {
		t.Errorf("abort: %d %s", w.Code, w.Body)
	}
	if c := st.called(); c[len(c)-1] != "abort" || len(c) != 5 {
		t.Errorf("calls %v", c)
	}
}

func TestMultipartRoutesNeedAStore(t *testing.T) {
	s := newTestServer(t, nil)
	wantError(t, s.postJSON("/v1/multipart", `{"fileName":"a.png","contentType":"image/png","size":1}`), 404, apierr.NotFound)
	wantError(t, s.postJSON("/s3/multipart", `{"filename":"a.png","type":"image/png"}`), 404, apierr.NotFound)
	if _, err := New(Deps{Presigner: nil, Store: &store{}}); err == nil || !strings.Contains(err.Error(), "Tokens is required") {
		t.Errorf("New with a store and no tokens: %v", err)
	}
}

func TestCompletionBodyCap(t *testing.T) {
	st := &store{parts: []types.Part{{PartNumber: aws.Int32(1), ETag: aws.String(`"a"`), Size: aws.Int64(1)}}}
	s := newMultipartServer(t, st, nil)
	r := create(t, s, "", 1)
	pad := strings.Repeat(" ", 200<<10) // whitespace: valid JSON, larger than MaxBodyBytes
	w := s.postJSON("/v1/multipart/upload-1/complete", `{"token":"`+r.Token+`","parts":[{"partNumber":1,"etag":"a"}]`+pad+`}`)
	if w.Code != 200 {
		t.Errorf("200 KiB completion: %d %s", w.Code, w.Body)
	}
	wantError(t, s.postJSON("/v1/multipart", `{"fileName":"a.png","contentType":"image/png","size":1`+pad+`}`), 413, apierr.TooLarge)
	wantError(t, s.postJSON("/v1/multipart/upload-1/complete", `{"token":"x"`+strings.Repeat(" ", MaxCompleteBodyBytes)+`}`), 413, apierr.TooLarge)
}

func TestCORSAllowsDelete(t *testing.T) {
	s := newMultipartServer(t, &store{}, func(d *Deps) { d.CORSOrigins = []string{"http://localhost:5173"} })
	w := s.do("OPTIONS", "/s3/multipart/x", "", "", "Origin", "http://localhost:5173", "Access-Control-Request-Method", "DELETE")
	if w.Code != 204 || !strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "DELETE") {
		t.Errorf("preflight for DELETE: %d %v", w.Code, w.Header())
	}
}

// postPolicyOf decodes the policy document of a POST answer.
func postPolicyOf(t *testing.T, fields map[string]string) map[string]any {
	t.Helper()
	var doc map[string]any
	raw, err := base64.StdEncoding.DecodeString(fields["policy"])
	if err != nil || json.Unmarshal(raw, &doc) != nil {
		t.Fatalf("policy %q does not decode: %v", fields["policy"], err)
	}
	return doc
}

func TestUploadPOST(t *testing.T) {
	tests := []struct {
		name, body string
		max        float64
		checksum   bool
	}{
		{"no size: the single-upload limit", `{"fileName":"a.png","contentType":"image/png","method":"POST"}`, 10 << 20, false},
		{"declared size", `{"fileName":"a.png","contentType":"Image/PNG","method":"POST","size":1234}`, 1234, false},
		{"with sha256", `{"fileName":"a.png","contentType":"image/png","method":"POST","sha256":"` + helloSHA + `"}`, 10 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			w := s.postJSON("/v1/uploads", tt.body)
			if w.Code != 201 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var got postUploadResponse
			decode(t, w, &got)
			if got.Method != "POST" || got.URL != "http://127.0.0.1:7070/test-bucket" || got.Key != "uploads/"+zeroID+"/a.png" ||
				got.Fields["key"] != got.Key || got.Fields["Content-Type"] != "image/png" || !got.ExpiresAt.Equal(fixedNow.Add(5*time.Minute)) {
				t.Errorf("answer %+v", got)
			}
			doc := postPolicyOf(t, got.Fields)
			conds := fmt.Sprint(doc["conditions"])
			for _, want := range []string{"[eq $key " + got.Key + "]", "[eq $Content-Type image/png]", fmt.Sprintf("[content-length-range 1 %v]", tt.max)} {
				if !strings.Contains(conds, want) {
					t.Errorf("policy conditions %s lack %s", conds, want)
				}
			}
			if has := strings.Contains(conds, "$x-amz-checksum-sha256 "+helloSHA); has != tt.checksum || (got.Fields["x-amz-checksum-sha256"] != "") != tt.checksum {
				t.Errorf("checksum pinned %v, want %v: %s", has, tt.checksum, conds)
			}
			if doc["expiration"] != "2026-01-02T03:09:05.000Z" {
				t.Errorf("expiration %v", doc["expiration"])
			}
		})
	}
	s := newTestServer(t, nil)
	wantError(t, s.postJSON("/v1/uploads", `{"fileName":"a.png","contentType":"image/png","method":"POST","size":10485761}`), 413, apierr.TooLarge)
}

// uppyStart is an upload started on the Uppy routes.
type uppyStart struct {
	key, handle, token string
}

// newUppy starts an Uppy upload as caller.
func newUppy(t *testing.T, s *testServer, caller string) uppyStart {
	t.Helper()
	w := s.do("POST", "/s3/multipart", "application/json", `{"filename":"big photo.png","type":"image/png","metadata":{"name":"big photo.png","type":"image/png"}}`, "X-Test-Caller", caller)
	if w.Code != 200 {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var r uppyCreateResponse
	decode(t, w, &r)
	_, token, _ := strings.Cut(r.UploadID, ".")
	return uppyStart{key: r.Key, handle: r.UploadID, token: token}
}

func TestUppyRoutes(t *testing.T) {
	st := &store{parts: []types.Part{
		{PartNumber: aws.Int32(1), ETag: aws.String(`"e1"`), Size: aws.Int64(5 * mib)},
		{PartNumber: aws.Int32(2), ETag: aws.String(`"e2"`), Size: aws.Int64(18)},
	}}
	s := newMultipartServer(t, st, nil)
	u := newUppy(t, s, "alice")
	if !strings.HasPrefix(u.key, "uploads/alice/") || !strings.HasPrefix(u.handle, "dXBsb2FkLTE.") { // base64url("upload-1")
		t.Fatalf("create answer key %q handle %q", u.key, u.handle)
	}
	k := "?key=" + url.QueryEscape(u.key)
	get := func(path string) *httptest.ResponseRecorder {
		return s.do("GET", path, "", "", "X-Test-Caller", "alice")
	}

	w := get("/s3/multipart/" + u.handle + "/1" + k)
	var sign uppySignResponse
	decode(t, w, &sign)
	if q := query(t, sign.URL); q.Get("X-Amz-SignedHeaders") != "host" || q.Get("partNumber") != "1" || q.Get("uploadId") != "upload-1" || sign.Expires != 300 {
		t.Errorf("part URL %s expires %d", sign.URL, sign.Expires)
	}

	w = get("/s3/multipart/" + u.handle + "/batch" + k + "&partNumbers=1,2,205")
	var batch uppyBatchResponse
	decode(t, w, &batch)
	if len(batch.PresignedURLs) != 3 || query(t, batch.PresignedURLs["205"]).Get("partNumber") != "205" {
		t.Errorf("batch %v", batch)
	}

	w = get("/s3/multipart/" + u.handle + k)
	var parts []uppyPart
	decode(t, w, &parts)
	if len(parts) != 2 || parts[1] != (uppyPart{PartNumber: 2, ETag: `"e2"`, Size: 18}) {
		t.Errorf("list %+v", parts)
	}

	w = s.do("POST", "/s3/multipart/"+u.handle+"/complete"+k, "application/json",
		`{"parts":[{"PartNumber":2,"ETag":"e2"},{"PartNumber":1,"ETag":"e1","Size":5242880}]}`, "X-Test-Caller", "alice")
	var done uppyCompleteResponse
	decode(t, w, &done)
	if done.Key != u.key || done.Location != "http://127.0.0.1:7070/test-bucket/uploads/alice/"+zeroID+"/big%20photo.png" {
		t.Errorf("complete %+v", done)
	}
	if ps := st.completed.MultipartUpload.Parts; aws.ToInt32(ps[0].PartNumber) != 1 || aws.ToString(st.completed.IfNoneMatch) != "*" {
		t.Errorf("parts not sorted or If-None-Match missing: %+v", st.completed)
	}

	w = s.do("DELETE", "/s3/multipart/"+u.handle+k, "", "", "X-Test-Caller", "alice")
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != "{}" {
		t.Errorf("abort: %d %s", w.Code, w.Body)
	}
}

func TestUppyRefusals(t *testing.T) {
	st := &store{}
	s := newMultipartServer(t, st, nil)
	u := newUppy(t, s, "alice")
	v1 := create(t, s, "alice", 12*mib)
	other := newUppy(t, s, "bob")
	k := "?key=" + url.QueryEscape(u.key)
	tests := []struct {
		name, method, path, caller string
		status                     int
		code                       string
	}{
		{"control", "GET", "/s3/multipart/" + u.handle + "/1" + k, "alice", 200, ""},
		{"no key", "GET", "/s3/multipart/" + u.handle + "/1", "alice", 400, apierr.Invalid},
		{"other key", "GET", "/s3/multipart/" + u.handle + "/1?key=" + url.QueryEscape(other.key), "alice", 403, apierr.Forbidden},
		{"bare S3 upload id", "GET", "/s3/multipart/upload-1/1" + k, "alice", 404, apierr.NotFound},
		{"handle without token", "GET", "/s3/multipart/dXBsb2FkLTE./1" + k, "alice", 404, apierr.NotFound},
		{"other upload id in the handle", "GET", "/s3/multipart/dXBsb2FkLTI." + u.token + "/1" + k, "alice", 403, apierr.Forbidden},
		{"another caller", "GET", "/s3/multipart/" + u.handle + "/1" + k, "bob", 403, apierr.Forbidden},
		{"v1 token in a handle", "GET", "/s3/multipart/dXBsb2FkLTE." + v1.Token + "/1?key=" + url.QueryEscape(v1.Key), "alice", 403, apierr.Forbidden},
		{"part 0", "GET", "/s3/multipart/" + u.handle + "/0" + k, "alice", 400, apierr.Invalid},
		{"part above what the limit needs", "GET", "/s3/multipart/" + u.handle + "/206" + k, "alice", 400, apierr.Invalid},
		{"part 10001", "GET", "/s3/multipart/" + u.handle + "/10001" + k, "alice", 400, apierr.Invalid},
		{"part not a number", "GET", "/s3/multipart/" + u.handle + "/x1" + k, "alice", 400, apierr.Invalid},
		{"batch without numbers", "GET", "/s3/multipart/" + u.handle + "/batch" + k, "alice", 400, apierr.Invalid},
		{"batch with a bad number", "GET", "/s3/multipart/" + u.handle + "/batch" + k + "&partNumbers=1,x", "alice", 400, apierr.Invalid},
		{"batch repeated", "GET", "/s3/multipart/" + u.handle + "/batch" + k + "&partNumbers=1,1", "alice", 400, apierr.Invalid},
		{"list by another caller", "GET", "/s3/multipart/" + u.handle + k, "bob", 403, apierr.Forbidden},
		{"abort by another caller", "DELETE", "/s3/multipart/" + u.handle + k, "bob", 403, apierr.Forbidden},
		{"abort a guessed upload", "DELETE", "/s3/multipart/upload-1" + k, "alice", 404, apierr.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(st.called())
			w := s.do(tt.method, tt.path, "", "", "X-Test-Caller", tt.caller)
			if tt.code == "" {
				if w.Code != tt.status {
					t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
				}
				return
			}
			wantError(t, w, tt.status, tt.code)
			if c := st.called(); len(c) != before {
				t.Errorf("a refused request called S3: %v", c[before:])
			}
		})
	}
}

func TestUppyCompleteOverTheLimitAborts(t *testing.T) {
	st := &store{parts: []types.Part{
		{PartNumber: aws.Int32(1), ETag: aws.String("a"), Size: aws.Int64(600 * mib)},
		{PartNumber: aws.Int32(2), ETag: aws.String("b"), Size: aws.Int64(600 * mib)},
	}}
	s := newMultipartServer(t, st, nil)
	u := newUppy(t, s, "")
	k := "?key=" + url.QueryEscape(u.key)
	w := s.postJSON("/s3/multipart/"+u.handle+"/complete"+k, `{"parts":[{"PartNumber":1,"ETag":"a"}]}`)
	if w.Code != 200 {
		t.Fatalf("control, one part of 600 MiB: %d %s", w.Code, w.Body)
	}
	w = s.postJSON("/s3/multipart/"+u.handle+"/complete"+k, `{"parts":[{"PartNumber":1,"ETag":"a"},{"PartNumber":2,"ETag":"b"}]}`)
	wantError(t, w, 413, apierr.TooLarge)
	if c := st.called(); c[len(c)-1] != "abort" || c[len(c)-2] != "list" {
		t.Errorf("calls %v, want list then abort", c)
	}
}

// Completion sends S3's ETags (from ListParts), never the client's: an
// unquoted client ETag that names the same part completes with S3's quoted
// one.
func TestCompleteSendsS3sETags(t *testing.T) {
	st := &store{parts: threeParts()}
	s := newMultipartServer(t, st, nil)
	r := create(t, s, "", 12*mib+18)
	w := s.postJSON("/v1/multipart/upload-1/complete", `{"token":"`+r.Token+`","parts":[{"partNumber":1,"etag":"a"},{"partNumber":2,"etag":"b"},{"partNumber":3,"etag":"c"}]}`)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	for i, p := range st.completed.MultipartUpload.Parts {
		if want := aws.ToString(threeParts()[i].ETag); aws.ToString(p.ETag) != want {
			t.Errorf("part %d completed with ETag %q, want S3's %q", i+1, aws.ToString(p.ETag), want)
		}
	}
}

// A client ETag that differs from S3's is refused and the upload aborted,
// on the v1 and the Uppy routes; a part S3 does not hold is refused without
// aborting (the client may still upload it). Each with its control.
func TestCompleteWithOtherETagsAborts(t *testing.T) {
	v1 := func(t *testing.T, st *store, parts string) *httptest.ResponseRecorder {
		s := newMultipartServer(t, st, nil)
		r := create(t, s, "", 12*mib+18)
		return s.postJSON("/v1/multipart/upload-1/complete", `{"token":"`+r.Token+`","parts":`+parts+`}`)
	}
	uppy := func(t *testing.T, st *store, parts string) *httptest.ResponseRecorder {
		s := newMultipartServer(t, st, nil)
		u := newUppy(t, s, "")
		parts = strings.NewReplacer(`"partNumber"`, `"PartNumber"`, `"etag"`, `"ETag"`).Replace(parts)
		return s.postJSON("/s3/multipart/"+u.handle+"/complete?key="+url.QueryEscape(u.key), `{"parts":`+parts+`}`)
	}
	const (
		right = `[{"partNumber":1,"etag":"\"a\""},{"partNumber":2,"etag":"\"b\""},{"partNumber":3,"etag":"\"c\""}]`
		other = `[{"partNumber":1,"etag":"\"a\""},{"partNumber":2,"etag":"\"0000\""},{"partNumber":3,"etag":"\"c\""}]`
	)
	for name, route := range map[string]func(*testing.T, *store, string) *httptest.ResponseRecorder{"v1": v1, "uppy": uppy} {
		t.Run(name, func(t *testing.T) {
			st := &store{parts: threeParts()}
			e := wantError(t, route(t, st, other), 400, apierr.Invalid)
			if !strings.Contains(e.Message, "aborted") || !strings.Contains(e.Message, "[2]") {
				t.Errorf("message %q does not name the part and the abort", e.Message)
			}
			if c := st.called(); c[len(c)-1] != "abort" || slices.Contains(c, "complete") {
				t.Errorf("calls %v, want an abort and no completion", c)
			}

			st = &store{parts: threeParts()[:2]}
			wantError(t, route(t, st, right), 400, apierr.Invalid)
			if c := st.called(); slices.Contains(c, "abort") || slices.Contains(c, "complete") {
				t.Errorf("missing part: calls %v, want neither abort nor completion", c)
			}

			st = &store{parts: threeParts()}
			if w := route(t, st, right); w.Code != 200 {
				t.Fatalf("control: %d %s", w.Code, w.Body)
			}
			if c := st.called(); c[len(c)-1] != "complete" || slices.Contains(c, "abort") {
				t.Errorf("control: calls %v", c)
			}
		})
	}
}

// Parts whose S3 sizes do not add up to a v1 upload's declared size are
// refused and the upload aborted (each part URL signs its length, so only a
// writer with other means could cause it).
func TestCompleteV1SizeMismatchAborts(t *testing.T) {
	parts := threeParts()
	parts[2].Size = aws.Int64(2 * mib)
	st := &store{parts: parts}
	s := newMultipartServer(t, st, nil)
	r := create(t, s, "", 12*mib+18)
	w := s.postJSON("/v1/multipart/upload-1/complete", `{"token":"`+r.Token+`","parts":[{"partNumber":1,"etag":"a"},{"partNumber":2,"etag":"b"},{"partNumber":3,"etag":"c"}]}`)
	wantError(t, w, 400, apierr.Invalid)
	if c := st.called(); c[len(c)-1] != "abort" {
		t.Errorf("calls %v, want an abort", c)
	}
}

func TestUppyParams(t *testing.T) {
	s := newMultipartServer(t, &store{}, nil)
	w := s.do("GET", "/s3/params?filename=cat.png&type=image%2Fpng&metadata%5Bname%5D=cat.png", "", "")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got uppyParamsResponse
	decode(t, w, &got)
	if got.Method != "POST" || got.Fields["key"] != "uploads/"+zeroID+"/cat.png" || got.Expires != 300 ||
		!strings.Contains(fmt.Sprint(postPolicyOf(t, got.Fields)["conditions"]), "[content-length-range 1 1.048576e+07]") {
		t.Errorf("answer %+v", got)
	}
	wantError(t, s.do("GET", "/s3/params?filename=cat.png&type=image%2Fjpeg", "", ""), 400, apierr.Invalid)
	wantError(t, s.do("GET", "/s3/params?filename=cat.mp4&type=video%2Fmp4", "", ""), 415, apierr.MediaType)
	wantError(t, s.do("GET", "/s3/params?filename=a.png&filename=b.png&type=image%2Fpng", "", ""), 400, apierr.Invalid)
}

// A completion may take S3 longer than the server's write timeout; the
// handler extends its own write deadline, so the client still gets the
// answer. Control: a route that does not extend it is cut off.
func TestCompletionOutlivesTheWriteTimeout(t *testing.T) {
	st := &store{delay: 600 * time.Millisecond, parts: []types.Part{{PartNumber: aws.Int32(1), ETag: aws.String(`"a"`), Size: aws.Int64(1)}}}
	s := newMultipartServer(t, st, nil)
	srv := httptest.NewUnstartedServer(s.h)
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()
	r := create(t, s, "", 1)

	body := `{"token":"` + r.Token + `","parts":[{"partNumber":1,"etag":"a"}]}`
	resp, err := http.Post(srv.URL+"/v1/multipart/upload-1/complete", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("completion slower than the write timeout: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}

	slow := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(st.delay)
		w.Write([]byte("{}"))
	}))
	slow.Config.WriteTimeout = srv.Config.WriteTimeout
	slow.Start()
	defer slow.Close()
	if resp, err := http.Get(slow.URL); err == nil {
		resp.Body.Close()
		t.Fatalf("control: a slow answer without an extended deadline arrived (%d)", resp.StatusCode)
	}
}
