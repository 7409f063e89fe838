package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

func TestCompatUpload(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		refuse  bool
		unsized bool // refuse unsized uploads
		status  int
		code    string
		key     string
		signed  string
		headers *compatHeaders
	}{
		{name: "original contract", query: "fileName=demo-image&extension=png&mediaType=image", status: 200,
			key: "uploads/demo-image.png", signed: "content-type;host"},
		{name: "full media type", query: "fileName=doc&extension=pdf&mediaType=application/pdf", status: 200,
			key: "uploads/doc.pdf", signed: "content-type;host"},
		{name: "name kept as given", query: "fileName=My+Photo&extension=JPG&mediaType=image", status: 200,
			key: "uploads/My Photo.JPG", signed: "content-type;host"},
		{name: "refuse overwrites", query: "fileName=demo-image&extension=png&mediaType=image", refuse: true, status: 200,
			key: "uploads/demo-image.png", signed: "content-type;host;if-none-match", headers: &compatHeaders{ContentType: "image/png", IfNoneMatch: "*"}},
		{name: "unknown parameters ignored", query: "fileName=a&extension=png&mediaType=image&_=123", status: 200,
			key: "uploads/a.png", signed: "content-type;host"},
		{name: "size signs Content-Length", query: "fileName=a&extension=png&mediaType=image&size=1234", status: 200,
			key: "uploads/a.png", signed: "content-length;content-type;host", headers: &compatHeaders{ContentType: "image/png", ContentLength: "1234"}},
		{name: "size and refuse overwrites", query: "fileName=a&extension=png&mediaType=image&size=7", refuse: true, status: 200,
			key: "uploads/a.png", signed: "content-length;content-type;host;if-none-match", headers: &compatHeaders{ContentType: "image/png", ContentLength: "7", IfNoneMatch: "*"}},
		{name: "unsized refused", query: "fileName=a&extension=png&mediaType=image", unsized: true, status: 400, code: apierr.Invalid},
		{name: "control: sized with unsized refused", query: "fileName=a&extension=png&mediaType=image&size=5", unsized: true, status: 200,
			key: "uploads/a.png", signed: "content-length;content-type;host", headers: &compatHeaders{ContentType: "image/png", ContentLength: "5"}},
		{name: "size over the limit", query: "fileName=a&extension=png&mediaType=image&size=10485761", status: 413, code: apierr.TooLarge},
		{name: "control: size at the limit", query: "fileName=a&extension=png&mediaType=image&size=10485760", status: 200,
			key: "uploads/a.png", signed: "content-length;content-type;host", headers: &compatHeaders{ContentType: "image/png", ContentLength: "10485760"}},
		{name: "size zero", query: "fileName=a&extension=png&mediaType=image&size=0", status: 400, code: apierr.Invalid},
		{name: "size not a number", query: "fileName=a&extension=png&mediaType=image&size=5k", status: 400, code: apierr.Invalid},
		{name: "size twice", query: "fileName=a&extension=png&mediaType=image&size=5&size=6", status: 400, code: apierr.Invalid},
		{name: "variable in name", query: "fileName=%24%7Bfilename%7D&extension=png&mediaType=image", status: 400, code: apierr.Invalid},
		{name: "media type disagrees", query: "fileName=a&extension=png&mediaType=video", status: 400, code: apierr.Invalid},
		{name: "full type disagrees", query: "fileName=a&extension=png&mediaType=image/gif", status: 400, code: apierr.Invalid},
		{name: "extension not allowed", query: "fileName=a&extension=exe&mediaType=application", status: 415, code: apierr.MediaType},
		{name: "missing everything", query: "", status: 400, code: apierr.Invalid},
		{name: "traversal", query: "fileName=../../etc/passwd&extension=png&mediaType=image", status: 400, code: apierr.Invalid},
		{name: "encoded NUL", query: "fileName=a%00b&extension=png&mediaType=image", status: 400, code: apierr.Invalid},
		{name: "slash in extension", query: "fileName=a&extension=png/x&mediaType=image", status: 400, code: apierr.Invalid},
		{name: "parameter twice", query: "fileName=a&fileName=b&extension=png&mediaType=image", status: 400, code: apierr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, func(d *Deps) { d.CompatRefuseOverwrite, d.CompatRefuseUnsized = tt.refuse, tt.unsized })
			w := s.do(http.MethodGet, "/signed-url-upload?"+tt.query, "", "")
			if tt.code != "" {
				e := wantError(t, w, tt.status, tt.code)
				if tt.unsized && !strings.Contains(e.Message, "size=") {
					t.Errorf("message %q does not say what to send", e.Message)
				}
				return
			}
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.status, w.Body)
			}
			var got compatUploadResponse
			decode(t, w, &got)
			q := query(t, got.URL)
			if sh := q.Get("X-Amz-SignedHeaders"); sh != tt.signed {
				t.Errorf("X-Amz-SignedHeaders = %q, want %q", sh, tt.signed)
			}
			wantOnlyQuery(t, q)
			if p := urlPath(t, got.URL); p != "/test-bucket/"+tt.key {
				t.Errorf("path = %q, want /test-bucket/%s", p, tt.key)
			}
			if (got.Headers == nil) != (tt.headers == nil) || got.Headers != nil && *got.Headers != *tt.headers {
				t.Errorf("headers = %+v, want %+v", got.Headers, tt.headers)
			}
		})
	}
}

func TestCompatAccess(t *testing.T) {
	tests := []struct {
		name, query string
		status      int
		code        string
		key         string
	}{
		{name: "reads what upload wrote", query: "fileName=demo-image&extension=png", status: 200, key: "uploads/demo-image.png"},
		{name: "unicode name", query: "fileName=" + url.QueryEscape("Grüße") + "&extension=pdf", status: 200, key: "uploads/Grüße.pdf"},
		{name: "extension not allowed", query: "fileName=a&extension=html", status: 415, code: apierr.MediaType},
		{name: "missing extension", query: "fileName=a", status: 400, code: apierr.Invalid},
		{name: "traversal", query: "fileName=..&extension=png", status: 400, code: apierr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			w := s.do(http.MethodGet, "/signed-url-access?"+tt.query, "", "")
			if tt.code != "" {
				wantError(t, w, tt.status, tt.code)
				return
			}
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.status, w.Body)
			}
			var got compatAccessResponse
			decode(t, w, &got)
			q := query(t, got.URL)
			if sh := q.Get("X-Amz-SignedHeaders"); sh != "host" {
				t.Errorf("X-Amz-SignedHeaders = %q, want host", sh)
			}
			if p := urlPath(t, got.URL); p != "/test-bucket/"+tt.key {
				t.Errorf("path = %q, want /test-bucket/%s", p, tt.key)
			}
		})
	}
}

func TestCompatRoutesOff(t *testing.T) {
	off := newTestServer(t, func(d *Deps) { d.Compat = false })
	on := newTestServer(t, nil)
	for _, target := range []string{"/signed-url-upload?fileName=a&extension=png&mediaType=image", "/signed-url-access?fileName=a&extension=png"} {
		wantError(t, off.do(http.MethodGet, target, "", ""), 404, apierr.NotFound)
		if w := on.do(http.MethodGet, target, "", ""); w.Code != 200 {
			t.Errorf("control: %s with compat on: status %d", target, w.Code)
		}
	}
}

// TestSingleQueryMatchesParseQuery holds singleQuery to url.ParseQuery's
// reading of a query, which the compat routes used before.
func TestSingleQueryMatchesParseQuery(t *testing.T) {
	queries := []string{
		"", "fileName=a", "fileName=a&fileName=b", "fileName=a%20b&extension=png", "fileName=a+b",
		"fileName=%zz&fileName=ok", "file%4eame=x", "fileName=a;b=c", "fileName", "fileName=&fileName=x",
		"&&fileName=x&", "fileName=x&extension=png&mediaType=image%2Fpng&other=1", "=x&fileName=%E2%80%A8",
	}
	for _, raw := range queries {
		q, _ := url.ParseQuery(raw)
		for _, name := range []string{"fileName", "extension", "mediaType"} {
			var want, got problems
			w := single(q, name, &want)
			g := singleQuery(raw, name, &got)
			if w != g || (want.err() == nil) != (got.err() == nil) {
				t.Errorf("%q, %s: singleQuery = %q (%v), single(ParseQuery) = %q (%v)", raw, name, g, got.err(), w, want.err())
			}
		}
	}
}
