package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// hostileCase is one nasty request sent through the real server.
type hostileCase struct {
	name        string
	method      string
	path        string // with its query
	contentType string
	body        string
	header      map[string]string
	status      int
	code        string // JSON error code of a refusal; "" for a success
	allow       string // the Allow header a 405 must carry
	key         string // for an accepted upload: what the key must end with
}

const hostilePNG = `{"fileName":"a.png","contentType":"image/png","size":5}`

func hostileUpload(fileName string) string {
	b, _ := json.Marshal(map[string]any{"fileName": fileName, "contentType": "image/png", "size": 5})
	return string(b)
}

// TestHostileInputs sends nasty requests to a real signer over HTTP and
// checks each answer: status, JSON error code, and for the few that are
// accepted, that the key is what the grammar allows. Every refusal is a
// JSON error and holds no URL.
func TestHostileInputs(t *testing.T) {
	t.Parallel()
	p := startSigner(t, reliabilityEnv(), runDeps{})
	nested := `{"fileName":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `,"contentType":"image/png","size":5}`
	cases := []hostileCase{
		// Controls: a plain upload and compat upload are accepted.
		{name: "control upload", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostilePNG, status: 201, key: "/a.png"},
		{name: "control compat upload", method: "GET", path: "/signed-url-upload?fileName=a&extension=png&mediaType=image", status: 200},

		// Path traversal in names and keys.
		{name: "traversal fileName", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("../../etc/passwd"), status: 400, code: "invalid_request"},
		{name: "traversal fileName with extension", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("../../etc/passwd.png"), status: 400, code: "invalid_request"},
		{name: "backslash traversal", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload(`..\..\win.png`), status: 400, code: "invalid_request"},
		{name: "escaped slash in JSON", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"fileName":"a\/b.png","contentType":"image/png","size":5}`, status: 400, code: "invalid_request"},
		{name: "percent-encoded dots are literal in v1", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("%2e%2e%2fetc.png"), status: 201, key: "/%2e%2e%2fetc.png"},
		{name: "percent-encoded dots decoded in compat query", method: "GET", path: "/signed-url-upload?fileName=%2e%2e%2fetc&extension=png&mediaType=image", status: 400, code: "invalid_request"},
		{name: "double percent-encoding stays literal in compat", method: "GET", path: "/signed-url-upload?fileName=%252e%252e%252fetc&extension=png&mediaType=image", status: 200},
		{name: "traversal in extension", method: "GET", path: "/signed-url-upload?fileName=a&extension=png%2F..%2F..%2Fx&mediaType=image", status: 400, code: "invalid_request"},
		{name: "traversal download key", method: "POST", path: "/v1/downloads", contentType: "application/json", body: `{"key":"uploads/../secrets/x.png"}`, status: 400, code: "invalid_request"},
		{name: "download key outside the prefix", method: "POST", path: "/v1/downloads", contentType: "application/json", body: `{"key":"secrets/x.png"}`, status: 403, code: "forbidden"},
		{name: "download key with empty segment", method: "POST", path: "/v1/downloads", contentType: "application/json", body: `{"key":"uploads//x.png"}`, status: 400, code: "invalid_request"},
		{name: "download access traversal (compat)", method: "GET", path: "/signed-url-access?fileName=..%2F..%2Fetc%2Fpasswd&extension=png", status: 400, code: "invalid_request"},

		// NUL and other control characters.
		{name: "NUL in JSON fileName", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"fileName":"a\u0000.png","contentType":"image/png","size":5}`, status: 400, code: "invalid_request"},
		{name: "NUL in compat query", method: "GET", path: "/signed-url-upload?fileName=a%00b&extension=png&mediaType=image", status: 400, code: "invalid_request"},
		{name: "CRLF in downloadName", method: "POST", path: "/v1/downloads", contentType: "application/json", body: `{"key":"uploads/x.png","downloadName":"a\r\nSet-Cookie: x.png"}`, status: 400, code: "invalid_request"},
		{name: "tab in fileName", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("a\tb.png"), status: 400, code: "invalid_request"},
		{name: "DEL in fileName", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("a\x7fb.png"), status: 400, code: "invalid_request"},

		// Unicode tricks.
		{name: "S3 form variable in fileName", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("${filename}.png"), status: 400, code: "invalid_request"},
		{name: "S3 form variable in a POST form's fileName", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"fileName":"${filename}.png","contentType":"image/png","method":"POST"}`, status: 400, code: "invalid_request"},
		{name: "S3 form variable in multipart fileName", method: "POST", path: "/v1/multipart", contentType: "application/json", body: `{"fileName":"${filename}.png","contentType":"image/png","size":5}`, status: 400, code: "invalid_request"},
		{name: "S3 form variable in Uppy params", method: "GET", path: "/s3/params?filename=%24%7Bfilename%7D.png&type=image%2Fpng", status: 400, code: "invalid_request"},
		{name: "S3 form variable in Uppy multipart", method: "POST", path: "/s3/multipart", contentType: "application/json", body: `{"filename":"${filename}.png","type":"image/png"}`, status: 400, code: "invalid_request"},
		{name: "S3 form variable in compat upload", method: "GET", path: "/signed-url-upload?fileName=%24%7Bx%7D&extension=png&mediaType=image", status: 400, code: "invalid_request"},
		{name: "S3 form variable in compat access", method: "GET", path: "/signed-url-access?fileName=%24%7Bx%7D&extension=png", status: 400, code: "invalid_request"},
		{name: "S3 form variable in downloadName", method: "POST", path: "/v1/downloads", contentType: "application/json", body: `{"key":"uploads/x.png","downloadName":"${x}.png"}`, status: 400, code: "invalid_request"},
		{name: "dollar sign alone is fine (control)", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("$5 {x}.png"), status: 201, key: "/$5 {x}.png"},
		{name: "RTL override", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("invoice\u202egnp.exe"), status: 400, code: "invalid_request"},
		{name: "RTL override in compat", method: "GET", path: "/signed-url-upload?fileName=evil%E2%80%AEgnp&extension=png&mediaType=image", status: 400, code: "invalid_request"},
		{name: "left-to-right isolate", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("a\u2066b.png"), status: 400, code: "invalid_request"},
		{name: "zero-width joiner", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("pay\u200dpal.png"), status: 400, code: "invalid_request"},
		{name: "byte order mark", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("\ufeffa.png"), status: 400, code: "invalid_request"},
		{name: "line separator", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("a\u2028b.png"), status: 400, code: "invalid_request"},
		{name: "private-use character", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("a\ue000.png"), status: 400, code: "invalid_request"},
		{name: "unassigned code point", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("a\U000e0fff.png"), status: 400, code: "invalid_request"},
		{name: "invalid UTF-8", method: "POST", path: "/v1/uploads", contentType: "application/json", body: "{\"fileName\":\"a\xff.png\",\"contentType\":\"image/png\",\"size\":5}", status: 400, code: "invalid_request"},
		{name: "overlong UTF-8 dots", method: "POST", path: "/v1/uploads", contentType: "application/json", body: "{\"fileName\":\"\xc0\xae\xc0\xae.png\",\"contentType\":\"image/png\",\"size\":5}", status: 400, code: "invalid_request"},
		{name: "overlong UTF-8 slash in compat", method: "GET", path: "/signed-url-upload?fileName=a%C0%AFb&extension=png&mediaType=image", status: 400, code: "invalid_request"},
		{name: "one-dot leaders are not dots", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("\u2024\u2024.png"), status: 201, key: "/\u2024\u2024.png"},
		{name: "fullwidth solidus is not a separator", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("a\uff0fb.png"), status: 201, key: "/a\uff0fb.png"},
		{name: "combining marks (NFD) kept as sent", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("e\u0301te\u0301.png"), status: 201, key: "/e\u0301te\u0301.png"},
		{name: "lone surrogate escape becomes U+FFFD", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"fileName":"\ud800.png","contentType":"image/png","size":5}`, status: 201, key: "/\ufffd.png"},
		{name: "leading space", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload(" a.png"), status: 400, code: "invalid_request"},
		{name: "name of 256 bytes", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload(strings.Repeat("x", 252) + ".png"), status: 400, code: "invalid_request"},
		{name: "double extension", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostileUpload("a.png.exe"), status: 400, code: "invalid_request"},
		{name: "active content type", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"fileName":"a.svg","contentType":"image/svg+xml","size":5}`, status: 415, code: "unsupported_media_type"},

		// Bodies.
		{name: "10 MB JSON body", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"fileName":"` + strings.Repeat("a", 10<<20) + `.png","contentType":"image/png","size":5}`, status: 413, code: "too_large"},
		{name: "deeply nested JSON", method: "POST", path: "/v1/uploads", contentType: "application/json", body: nested, status: 400, code: "invalid_request"},
		{name: "duplicate keys", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"fileName":"a.png","fileName":"../x.png","contentType":"image/png","size":5}`, status: 400, code: "invalid_request"},
		{name: "duplicate keys, one escaped", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"fileName":"a.png","file\u004eame":"b.png","contentType":"image/png","size":5}`, status: 400, code: "invalid_request"},
		{name: "case-folded member name", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"FILENAME":"a.png","contentType":"image/png","size":5}`, status: 400, code: "invalid_request"},
		{name: "array body", method: "POST", path: "/v1/uploads", contentType: "application/json", body: "[" + hostilePNG + "]", status: 400, code: "invalid_request"},
		{name: "two JSON objects", method: "POST", path: "/v1/uploads", contentType: "application/json", body: hostilePNG + hostilePNG, status: 400, code: "invalid_request"},
		{name: "empty body", method: "POST", path: "/v1/uploads", contentType: "application/json", status: 400, code: "invalid_request"},
		{name: "size 1e3", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"fileName":"a.png","contentType":"image/png","size":1e3}`, status: 400, code: "invalid_request"},
		{name: "size beyond int64", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"fileName":"a.png","contentType":"image/png","size":99999999999999999999}`, status: 400, code: "invalid_request"},

		// The request's own Content-Type.
		{name: "text/plain body", method: "POST", path: "/v1/uploads", contentType: "text/plain", body: hostilePNG, status: 415, code: "unsupported_media_type"},
		{name: "no Content-Type", method: "POST", path: "/v1/uploads", body: hostilePNG, status: 415, code: "unsupported_media_type"},
		{name: "form encoded", method: "POST", path: "/v1/uploads", contentType: "application/x-www-form-urlencoded", body: "fileName=a.png&contentType=image/png", status: 415, code: "unsupported_media_type"},
		{name: "multipart", method: "POST", path: "/v1/uploads", contentType: "multipart/form-data; boundary=x", body: hostilePNG, status: 415, code: "unsupported_media_type"},
		{name: "latin1 charset", method: "POST", path: "/v1/uploads", contentType: "application/json; charset=latin1", body: hostilePNG, status: 415, code: "unsupported_media_type"},
		{name: "JSON with charset utf-8 (control)", method: "POST", path: "/v1/uploads", contentType: "application/json; charset=utf-8", body: hostilePNG, status: 201, key: "/a.png"},

		// Methods and paths.
		{name: "GET on an upload route", method: "GET", path: "/v1/uploads", status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "PUT on an upload route", method: "PUT", path: "/v1/uploads", contentType: "application/json", body: hostilePNG, status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "DELETE on a download route", method: "DELETE", path: "/v1/downloads", status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "PATCH", method: "PATCH", path: "/v1/uploads", status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "TRACE", method: "TRACE", path: "/v1/uploads", status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "OPTIONS without CORS", method: "OPTIONS", path: "/v1/uploads", status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "lower-case post", method: "post", path: "/v1/uploads", contentType: "application/json", body: hostilePNG, status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "made-up method", method: "FROB", path: "/v1/uploads", status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "POST on a compat route", method: "POST", path: "/signed-url-upload?fileName=a&extension=png&mediaType=image", status: 405, code: "method_not_allowed", allow: "GET, HEAD"},
		{name: "POST on healthz", method: "POST", path: "/healthz", status: 405, code: "method_not_allowed", allow: "GET, HEAD"},
		{name: "unknown route", method: "GET", path: "/v2/uploads", status: 404, code: "not_found"},
		{name: "trailing slash", method: "POST", path: "/v1/uploads/", contentType: "application/json", body: hostilePNG, status: 404, code: "not_found"},
		{name: "upper-case path", method: "POST", path: "/V1/UPLOADS", contentType: "application/json", body: hostilePNG, status: 404, code: "not_found"},

		// The multipart, Uppy and POST-policy routes refuse before calling S3.
		{name: "multipart: traversal fileName", method: "POST", path: "/v1/multipart", contentType: "application/json", body: `{"fileName":"../../etc/passwd.png","contentType":"image/png","size":6000000}`, status: 400, code: "invalid_request"},
		{name: "multipart: text/plain body", method: "POST", path: "/v1/multipart", contentType: "text/plain", body: `{"fileName":"a.png","contentType":"image/png","size":6000000}`, status: 415, code: "unsupported_media_type"},
		{name: "multipart: PUT", method: "PUT", path: "/v1/multipart", status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "multipart: forged token", method: "POST", path: "/v1/multipart/upload-1/parts", contentType: "application/json", body: `{"token":"AAAA.BBBB","partNumbers":[1]}`, status: 400, code: "invalid_request"},
		{name: "Uppy params: traversal filename", method: "GET", path: "/s3/params?filename=..%2F..%2Fetc%2Fpasswd&type=image%2Fpng", status: 400, code: "invalid_request"},
		{name: "Uppy create: RTL override", method: "POST", path: "/s3/multipart", contentType: "application/json", body: `{"filename":"a\u202egnp.exe","type":"image/png"}`, status: 400, code: "invalid_request"},
		{name: "Uppy sign: forged handle", method: "GET", path: "/s3/multipart/dXBsb2FkLTE.AAAA/1?key=uploads%2Fx.png", status: 404, code: "not_found"},
		{name: "POST policy: traversal fileName", method: "POST", path: "/v1/uploads", contentType: "application/json", body: `{"fileName":"../a.png","contentType":"image/png","size":5,"method":"POST"}`, status: 400, code: "invalid_request"},

		// Headers.
		{name: "header block of 16 KiB (control)", method: "GET", path: "/healthz", header: map[string]string{"X-Pad": strings.Repeat("a", 16<<10)}, status: 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, p.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.method, tc.path, err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			checkHostileAnswer(t, tc, resp, b)
		})
	}
}

// checkHostileAnswer checks status, code, Allow and, for accepted uploads, the key.
func checkHostileAnswer(t *testing.T, tc hostileCase, resp *http.Response, b []byte) {
	t.Helper()
	if resp.StatusCode != tc.status {
		t.Fatalf("status %d, want %d (body %.300s)", resp.StatusCode, tc.status, b)
	}
	if tc.status >= 400 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("refusal with Content-Type %q, want application/json", ct)
		}
		if got := errorCode(b); got != tc.code {
			t.Fatalf("error code %q, want %q (body %.300s)", got, tc.code, b)
		}
		if bytes.Contains(b, []byte("X-Amz-")) {
			t.Fatalf("a refusal holds a URL: %s", b)
		}
		if tc.allow != "" && resp.Header.Get("Allow") != tc.allow {
			t.Fatalf("Allow %q, want %q", resp.Header.Get("Allow"), tc.allow)
		}
		return
	}
	if tc.key == "" {
		return
	}
	var up struct{ Key, URL string }
	if err := json.Unmarshal(b, &up); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(up.Key, "uploads/") || !strings.HasSuffix(up.Key, tc.key) || len(up.Key) != len("uploads/")+26+len(tc.key) {
		t.Fatalf("key %q, want uploads/<id>%s", up.Key, tc.key)
	}
	u, err := url.Parse(up.URL)
	if err != nil || u.Path != "/test-bucket/"+up.Key {
		t.Fatalf("URL path %q (%v) does not sign key %q", u.Path, err, up.Key)
	}
}

// hostileRawCase is a request written byte for byte to a TCP connection, for what
// an http.Client would never send.
type hostileRawCase struct {
	name   string
	raw    string
	status int
	code   string // JSON error code; "" for a success or a plain-text answer
	plain  bool   // answered by net/http itself in text/plain, before routing
	// location is the Location of a redirect.
	location string
}

// TestHostileWire sends malformed HTTP/1.1 over raw TCP to a real listener:
// Transfer-Encoding tricks, conflicting lengths, a header block over the
// limit, broken chunking, path tricks. Refusals that net/http makes while
// parsing the request (before any handler runs) are plain text: 400, 431
// and 501. Each connection carries one request and gets one answer.
func TestHostileWire(t *testing.T) {
	t.Parallel()
	p := startSigner(t, reliabilityEnv(), runDeps{})
	body := hostilePNG
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	post := func(headers, payload string) string {
		return "POST /v1/uploads HTTP/1.1\r\nHost: signer\r\nContent-Type: application/json\r\nConnection: close\r\n" + headers + "\r\n" + payload
	}
	cases := []hostileRawCase{
		{name: "control: Content-Length", raw: post(fmt.Sprintf("Content-Length: %d\r\n", len(body)), body), status: 201},
		{name: "control: chunked", raw: post("Transfer-Encoding: chunked\r\n", chunked), status: 201},
		{name: "chunked and Content-Length: chunked wins", raw: post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", chunked), status: 201},
		{name: "chunked with huge Content-Length", raw: post("Content-Length: 99999999\r\nTransfer-Encoding: chunked\r\n", chunked), status: 201},
		{name: "TE chunked, identity", raw: post("Transfer-Encoding: chunked, identity\r\n", chunked), status: 501, plain: true},
		{name: "TE identity", raw: post("Transfer-Encoding: identity\r\n", body), status: 501, plain: true},
		{name: "TE gzip, chunked", raw: post("Transfer-Encoding: gzip, chunked\r\n", chunked), status: 501, plain: true},
		{name: "two TE headers", raw: post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", chunked), status: 501, plain: true},
		{name: "TE with a space before the colon", raw: post("Transfer-Encoding : chunked\r\n", chunked), status: 400, plain: true},
		{name: "TE in HTTP/1.0 is ignored", raw: strings.Replace(post(fmt.Sprintf("Transfer-Encoding: chunked\r\nContent-Length: %d\r\n", len(body)), body), "HTTP/1.1", "HTTP/1.0", 1), status: 201},
		{name: "two different Content-Lengths", raw: post("Content-Length: 5\r\nContent-Length: 6\r\n", body), status: 400, plain: true},
		{name: "negative Content-Length", raw: post("Content-Length: -1\r\n", body), status: 400, plain: true},
		{name: "Content-Length with a sign", raw: post("Content-Length: +10\r\n", body), status: 400, plain: true},
		{name: "Content-Length of 10 MB, body never sent", raw: post("Content-Length: 10485760\r\n", ""), status: 413, code: "too_large"},
		{name: "chunked body of 10 MB", raw: post("Transfer-Encoding: chunked\r\n", fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", 10<<20, strings.Repeat("a", 10<<20))), status: 413, code: "too_large"},
		{name: "bad chunk size", raw: post("Transfer-Encoding: chunked\r\n", "zz\r\n"+body+"\r\n0\r\n\r\n"), status: 400, code: "invalid_request"},
		{name: "chunk longer than declared", raw: post("Transfer-Encoding: chunked\r\n", "5\r\n"+body+"\r\n0\r\n\r\n"), status: 400, code: "invalid_request"},
		{name: "header block over the limit", raw: post(fmt.Sprintf("X-Pad: %s\r\nContent-Length: %d\r\n", strings.Repeat("a", 64<<10), len(body)), body), status: 431, plain: true},
		{name: "many small headers over the limit", raw: post(strings.Repeat("X-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 1200)+fmt.Sprintf("Content-Length: %d\r\n", len(body)), body), status: 431, plain: true},
		{name: "NUL in a header value", raw: post("X-A: a\x00b\r\n"+fmt.Sprintf("Content-Length: %d\r\n", len(body)), body), status: 400, plain: true},
		{name: "obsolete line folding is unfolded", raw: post("X-A: a\r\n b\r\n"+fmt.Sprintf("Content-Length: %d\r\n", len(body)), body), status: 201},
		{name: "no Host header", raw: strings.Replace(post(fmt.Sprintf("Content-Length: %d\r\n", len(body)), body), "Host: signer\r\n", "", 1), status: 400, plain: true},
		{name: "dot segments in the path: redirect to the clean path", raw: "POST /x/../v1/uploads HTTP/1.1\r\nHost: signer\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status: 307, location: "/v1/uploads"},
		{name: "encoded dot segments in the path", raw: "POST /%2e%2e/v1/uploads HTTP/1.1\r\nHost: signer\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status: 404, code: "not_found"},
		{name: "encoded slash in the path", raw: "POST /v1%2Fuploads HTTP/1.1\r\nHost: signer\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status: 404, code: "not_found"},
		{name: "asterisk target", raw: "OPTIONS * HTTP/1.1\r\nHost: signer\r\nConnection: close\r\n\r\n", status: 200},
		{name: "absolute-form target", raw: "GET http://evil.example/healthz HTTP/1.1\r\nHost: signer\r\nConnection: close\r\n\r\n", status: 200},
		{name: "garbage request line", raw: "HELLO\r\n\r\n", status: 400, plain: true},
		{name: "HTTP/2 preface without h2c", raw: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 400, plain: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := hostileExchange(t, p.Addr, tc.raw)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %.300s)", resp.StatusCode, tc.status, b)
			}
			ct := resp.Header.Get("Content-Type")
			if loc := resp.Header.Get("Location"); loc != tc.location {
				t.Fatalf("Location %q, want %q", loc, tc.location)
			}
			switch {
			case tc.plain:
				bare := ct == "" && len(b) == 0 // e.g. the answer to an HTTP/2 preface
				if !bare && !strings.HasPrefix(ct, "text/plain") || bytes.Contains(b, []byte("X-Amz-")) {
					t.Fatalf("Content-Type %q body %q, want net/http's plain-text answer", ct, b)
				}
			case tc.status >= 400:
				if ct != "application/json" || errorCode(b) != tc.code {
					t.Fatalf("Content-Type %q body %.300s, want a JSON error %q", ct, b, tc.code)
				}
			}
		})
	}
}

// hostileExchange writes raw to a new connection to addr and reads one answer.
// The connection must then close: no second answer follows.
func hostileExchange(t *testing.T, addr, raw string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// The server may answer (and hang up) before it has read everything.
	go func() { _, _ = io.WriteString(c, raw) }()
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the answer's body: %v", err)
	}
	if extra, _ := br.Peek(1); len(extra) > 0 {
		t.Fatalf("more than one answer on the connection: %q", extra)
	}
	return resp, b
}
