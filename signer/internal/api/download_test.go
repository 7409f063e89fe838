package api

import (
	"net/http"
	"strings"
	"testing"
	"time"
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
		{name: "outside the prefix", body: `{"key":"private/cat.png"}`, status: 403, code: CodeForbidden},
		{name: "the prefix itself", body: `{"key":"uploads/"}`, status: 400, code: CodeInvalid},
		{name: "traversal", body: `{"key":"uploads/../private/cat.png"}`, status: 400, code: CodeInvalid},
		{name: "encoded traversal is a plain name", body: `{"key":"uploads/%2e%2e%2fcat.png"}`, status: 200},
		{name: "empty segment", body: `{"key":"uploads//cat.png"}`, status: 400, code: CodeInvalid},
		{name: "control character", body: `{"key":"uploads/a\u0007.png"}`, status: 400, code: CodeInvalid},
		{name: "missing key", body: `{}`, status: 400, code: CodeInvalid},
		{name: "bad download name", body: `{"key":"` + key + `","downloadName":"a\nb.png"}`, status: 400, code: CodeInvalid},
		{name: "control: own caller prefix", caller: "alice", body: `{"key":"uploads/alice/` + zeroID + `/cat.png"}`, status: 200},
		{name: "another caller's key", caller: "alice", body: `{"key":"uploads/bob/` + zeroID + `/cat.png"}`, status: 403, code: CodeForbidden},
		{name: "unknown field", body: `{"key":"` + key + `","bucket":"other"}`, status: 400, code: CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, func(d *Deps) {
				if tt.caller != "" {
					d.Caller = func(*http.Request) string { return tt.caller }
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
