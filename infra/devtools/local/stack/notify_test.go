package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/infra/devtools/local/localtest"
	"github.com/s3presign/s3presign/infra/devtools/local/stack"
	"github.com/s3presign/s3presign/signer/uploadevent"
)

// callSigner POSTs body to the signer and decodes the answer into out,
// returning the status.
func callSigner(t *testing.T, st *stack.Stack, path string, body any, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(st.SignerURL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: %v: %s", path, err, raw)
		}
	}
	return resp.StatusCode
}

// send does one HTTP request to S3 and fails unless it answers 2xx.
func send(t *testing.T, method, url string, headers map[string]string, contentType string, body io.Reader) http.Header {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if !strings.EqualFold(k, "Content-Length") {
			req.Header.Set(k, v)
		}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s", method, strings.SplitN(url, "?", 2)[0], resp.StatusCode, raw)
	}
	return resp.Header
}

type issued struct {
	Key     string            `json:"key"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Fields  map[string]string `json:"fields"`
}

func uploadPUT(t *testing.T, st *stack.Stack, name, ctype string, body []byte) string {
	t.Helper()
	var up issued
	if code := callSigner(t, st, "/v1/uploads", map[string]any{"fileName": name, "contentType": ctype, "size": len(body)}, &up); code != http.StatusCreated {
		t.Fatalf("PUT upload: signer %d", code)
	}
	send(t, http.MethodPut, up.URL, up.Headers, "", bytes.NewReader(body))
	return up.Key
}

func uploadPOST(t *testing.T, st *stack.Stack, name, ctype string, body []byte) string {
	t.Helper()
	var up issued
	if code := callSigner(t, st, "/v1/uploads", map[string]any{"fileName": name, "contentType": ctype, "size": len(body), "method": "POST"}, &up); code != http.StatusCreated {
		t.Fatalf("POST upload: signer %d", code)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for k, v := range up.Fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(body)
	mw.Close()
	send(t, http.MethodPost, up.URL, nil, mw.FormDataContentType(), &form)
	return up.Key
}

func uploadMultipart(t *testing.T, st *stack.Stack, name, ctype string, body []byte) string {
	t.Helper()
	var created struct {
		Key, UploadID, Token string
	}
	if code := callSigner(t, st, "/v1/multipart", map[string]any{"fileName": name, "contentType": ctype, "size": len(body)}, &created); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("multipart create: signer %d", code)
	}
	var parts struct {
		Parts []issued `json:"parts"`
	}
	if code := callSigner(t, st, "/v1/multipart/"+created.UploadID+"/parts", map[string]any{"token": created.Token, "partNumbers": []int{1}}, &parts); code != http.StatusOK || len(parts.Parts) != 1 {
		t.Fatalf("multipart parts: signer %d, %d parts", code, len(parts.Parts))
	}
	h := send(t, http.MethodPut, parts.Parts[0].URL, parts.Parts[0].Headers, "", bytes.NewReader(body))
	if code := callSigner(t, st, "/v1/multipart/"+created.UploadID+"/complete", map[string]any{"token": created.Token,
		"parts": []map[string]any{{"partNumber": 1, "etag": h.Get("ETag")}}}, nil); code != http.StatusOK {
		t.Fatalf("multipart complete: signer %d", code)
	}
	return created.Key
}

// Each of the signer's upload paths produces exactly one "upload ready"
// event with the upload's key, size, type and caller; refused uploads
// (a type the rules refuse, a body larger than signed) produce none.
func TestEveryUploadPathNotifiesOnceAndRefusalsNever(t *testing.T) {
	st := localtest.Stack(t)
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wantCaller := "" // dev is auth mode none: no caller segment

	uploads := map[string]struct {
		key  string
		size int
	}{}
	for path, up := range map[string]func(*testing.T, *stack.Stack, string, string, []byte) string{
		"put": uploadPUT, "post": uploadPOST, "multipart": uploadMultipart,
	} {
		body := []byte("%PDF- body sent through " + path)
		uploads[path] = struct {
			key  string
			size int
		}{up(t, st, path+".pdf", "application/pdf", body), len(body)}
	}
	for path, u := range uploads {
		e, err := st.Notifications.WaitFor(c, u.key)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if e.Type != uploadevent.Ready || e.Schema != uploadevent.SchemaV1 || e.Bucket != st.Bucket || e.Caller != wantCaller ||
			e.Size == nil || *e.Size != int64(u.size) || e.ContentType != "application/pdf" || e.Scan != uploadevent.ScanOff || e.ETag == "" {
			t.Errorf("%s: event %+v, want ready for %s with %d bytes", path, e, u.key, u.size)
		}
	}

	// Refusals: the signer refuses a type outside the rules (no URL, so
	// nothing to upload), and S3 refuses a body longer than the signed size.
	if code := callSigner(t, st, "/v1/uploads", map[string]any{"fileName": "x.exe", "contentType": "application/x-msdownload", "size": 3}, nil); code != http.StatusBadRequest && code != http.StatusUnsupportedMediaType {
		t.Errorf("wrong type: signer answered %d, want a refusal", code)
	}
	var up issued
	if code := callSigner(t, st, "/v1/uploads", map[string]any{"fileName": "big.pdf", "contentType": "application/pdf", "size": 3}, &up); code != http.StatusCreated {
		t.Fatalf("control for too large: signer %d", code)
	}
	req, _ := http.NewRequest(http.MethodPut, up.URL, strings.NewReader("more than three bytes"))
	for k, v := range up.Headers {
		if !strings.EqualFold(k, "Content-Length") {
			req.Header.Set(k, v)
		}
	}
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode/100 == 2 {
		t.Fatalf("S3 accepted a body larger than signed: %d", resp.StatusCode)
	}
	// A last, accepted upload: once its event is in, any event for the
	// refused one would be too (versitygw sends them in order of completion).
	last := uploadPUT(t, st, "last.pdf", "application/pdf", []byte("%PDF- last"))
	if _, err := st.Notifications.WaitFor(c, last); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, e := range st.Notifications.Events() {
		counts[e.Key]++
	}
	for path, u := range uploads {
		if counts[u.key] != 1 {
			t.Errorf("%s: %d events for %s, want exactly 1", path, counts[u.key], u.key)
		}
	}
	if counts[up.Key] != 0 {
		t.Errorf("refused upload %s produced %d events", up.Key, counts[up.Key])
	}
	if len(st.Notifications.Events()) != 4 {
		t.Errorf("events %+v, want exactly the 4 accepted uploads", st.Notifications.Events())
	}
	if errs := st.Notifications.Errors(); len(errs) != 0 {
		t.Errorf("receiver errors: %v", errs)
	}
}

// The page reads the events from /notifications on its own origin.
func TestPageServesTheNotifications(t *testing.T) {
	st := localtest.Stack(t)
	key := uploadPUT(t, st, "page.pdf", "application/pdf", []byte("%PDF- page"))
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := st.Notifications.WaitFor(c, key); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(st.PageURL + "notifications?after=0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Total  int
		Events []uploadevent.Event
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Total != 1 || len(got.Events) != 1 || got.Events[0].Key != key {
		t.Fatalf("page notifications %+v, want the one upload", got)
	}
	// after=N skips what the page has shown.
	resp2, err := http.Get(st.PageURL + "notifications?after=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	raw, _ := io.ReadAll(resp2.Body)
	if !strings.Contains(string(raw), `"events":[]`) {
		t.Fatalf("after=1: %s", raw)
	}
}
