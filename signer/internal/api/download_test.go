package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/rules"
)

func TestDownload(t *testing.T) {
	key := "uploads/" + zeroID + "/cat.png"
	tests := []struct {
		name        string
		body        string
		caller      string
		status      int
		code        string
		disposition string // expected response-content-disposition ("" = none)
	}{
		{name: "control: key under the prefix", body: `{"key":"` + key + `"}`, status: 200},
		{name: "download name", body: `{"key":"` + key + `","downloadName":"My Cat.png"}`, status: 200,
			disposition: `attachment; filename="My Cat.png"; filename*=UTF-8''My%20Cat.png`},
		{name: "unicode download name", body: `{"key":"` + key + `","downloadName":"Grüße \"x\".png"}`, status: 200,
			disposition: `attachment; filename="Gr__e _x_.png"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%22x%22.png`},
		{name: "compat-style key", body: `{"key":"uploads/demo-image.png"}`, status: 200},
		{name: "outside the prefix", body: `{"key":"private/cat.png"}`, status: 403, code: apierr.Forbidden},
		{name: "the prefix itself", body: `{"key":"uploads/"}`, status: 400, code: apierr.Invalid},
		{name: "traversal", body: `{"key":"uploads/../private/cat.png"}`, status: 400, code: apierr.Invalid},
		{name: "encoded traversal is a plain name", body: `{"key":"uploads/%2e%2e%2fcat.png"}`, status: 200},
		{name: "empty segment", body: `{"key":"uploads//cat.png"}`, status: 400, code: apierr.Invalid},
		{name: "control character", body: `{"key":"uploads/a\u0007.png"}`, status: 400, code: apierr.Invalid},
		{name: "missing key", body: `{}`, status: 400, code: apierr.Invalid},
		{name: "bad download name", body: `{"key":"` + key + `","downloadName":"a\nb.png"}`, status: 400, code: apierr.Invalid},
		{name: "control: own caller prefix", caller: "alice", body: `{"key":"uploads/alice/` + zeroID + `/cat.png"}`, status: 200},
		{name: "another caller's key", caller: "alice", body: `{"key":"uploads/bob/` + zeroID + `/cat.png"}`, status: 403, code: apierr.Forbidden},
		{name: "unknown field", body: `{"key":"` + key + `","bucket":"other"}`, status: 400, code: apierr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, func(d *Deps) {
				if tt.caller != "" {
					d.Auth = callerAuth(tt.caller)
				}
			})
			w := s.postJSON("/v1/downloads", tt.body)
			if tt.code != "" {
				wantError(t, w, tt.status, tt.code)
				return
			}
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.status, w.Body)
			}
			var got downloadResponse
			decode(t, w, &got)
			q := query(t, got.URL)
			if sh := q.Get("X-Amz-SignedHeaders"); sh != "host" {
				t.Errorf("X-Amz-SignedHeaders = %q, want host", sh)
			}
			if d := q.Get("response-content-disposition"); d != tt.disposition {
				t.Errorf("response-content-disposition = %q, want %q", d, tt.disposition)
			}
			wantOnlyQuery(t, q, "response-content-disposition")
			if want := fixedNow.Add(5 * time.Minute); !got.ExpiresAt.Equal(want) {
				t.Errorf("expiresAt = %s, want %s", got.ExpiresAt, want)
			}
			if !strings.HasPrefix(got.URL, "http://127.0.0.1:7070/test-bucket/uploads/") {
				t.Errorf("url = %s", got.URL)
			}
		})
	}
}

func TestContentDisposition(t *testing.T) {
	tests := map[string]string{
		"a.pdf":         `attachment; filename="a.pdf"; filename*=UTF-8''a.pdf`,
		"写真.png":        `attachment; filename="__.png"; filename*=UTF-8''%E5%86%99%E7%9C%9F.png`,
		`back\slash`:    `attachment; filename="back_slash"; filename*=UTF-8''back%5Cslash`,
		"semi;colon'%":  `attachment; filename="semi;colon'%"; filename*=UTF-8''semi%3Bcolon%27%25`,
		"tilde~pipe|#$": `attachment; filename="tilde~pipe|#$"; filename*=UTF-8''tilde~pipe|#$`,
	}
	for in, want := range tests {
		if got := contentDisposition(in); got != want {
			t.Errorf("contentDisposition(%q)\n got %s\nwant %s", in, got, want)
		}
	}
}

// Downloads of keys that may hold active content (an allowed active type's
// extension, or the usual extension of one) are always attachments with a
// type no browser renders, on the v1 and the compat route; a PNG is not
// (the control).
func TestActiveContentDownloadsAreAttachments(t *testing.T) {
	s := newTestServer(t, func(d *Deps) {
		types, err := rules.ParseTypes("image/png,image/svg+xml=svg,text/html=html|htm")
		if err != nil {
			t.Fatal(err)
		}
		if d.Rules, err = rules.New(types, d.Rules.Limits()); err != nil {
			t.Fatal(err)
		}
	})
	tests := []struct {
		name, target, body string
		disposition        string // "" = none
	}{
		{"svg", "/v1/downloads", `{"key":"uploads/` + zeroID + `/logo.svg"}`, `attachment; filename="logo.svg"; filename*=UTF-8''logo.svg`},
		{"html with a download name", "/v1/downloads", `{"key":"uploads/` + zeroID + `/page.HTM","downloadName":"Page.htm"}`, `attachment; filename="Page.htm"; filename*=UTF-8''Page.htm`},
		{"javascript, not an allowed type", "/v1/downloads", `{"key":"uploads/` + zeroID + `/x.js"}`, `attachment; filename="x.js"; filename*=UTF-8''x.js`},
		{"compat svg", "/signed-url-access?fileName=logo&extension=svg", "", `attachment; filename="logo.svg"; filename*=UTF-8''logo.svg`},
		{"control: png", "/v1/downloads", `{"key":"uploads/` + zeroID + `/cat.png"}`, ""},
		{"control: compat png", "/signed-url-access?fileName=cat&extension=png", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, ct := http.MethodPost, "application/json"
			if tt.body == "" {
				method, ct = http.MethodGet, ""
			}
			w := s.do(method, tt.target, ct, tt.body)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var got struct{ URL string }
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			q := query(t, got.URL)
			if d := q.Get("response-content-disposition"); d != tt.disposition {
				t.Errorf("response-content-disposition = %q, want %q", d, tt.disposition)
			}
			wantType := ""
			if tt.disposition != "" {
				wantType = "application/octet-stream"
			}
			if rt := q.Get("response-content-type"); rt != wantType {
				t.Errorf("response-content-type = %q, want %q", rt, wantType)
			}
		})
	}
}
