package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/devtools/local/web"
)

func newPage(t *testing.T, c web.Config) *httptest.Server {
	t.Helper()
	h, err := web.Handler(c)
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

var good = web.Config{
	SignerURL:     "http://127.0.0.1:8080",
	S3Endpoint:    "http://127.0.0.1:7070/",
	Environment:   "dev",
	AllowedOrigin: true,
	AllowedTypes:  []string{"image/png"},
	MaxSize:       1 << 20,
}

func TestServesThePageFiles(t *testing.T) {
	srv := newPage(t, good)
	tests := []struct {
		path, ctype, contains string
	}{
		{"/", "text/html; charset=utf-8", `<input type="file" id="file"`},
		{"/app.js", "text/javascript; charset=utf-8", "/v1/uploads"},
		{"/style.css", "text/css; charset=utf-8", "#progress-text"},
		{"/config.js", "text/javascript; charset=utf-8", `"signerURL":"http://127.0.0.1:8080"`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, srv.URL+tt.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", got)
			}
			if !strings.Contains(body, tt.contains) {
				t.Errorf("body does not contain %q", tt.contains)
			}
		})
	}
}

func TestConfigJSCarriesTheSettings(t *testing.T) {
	srv := newPage(t, good)
	_, body := get(t, srv.URL+"/config.js")
	want := `window.S3PRESIGN_PAGE = {"signerURL":"http://127.0.0.1:8080","environment":"dev","allowedOrigin":true,"allowedTypes":["image/png"],"maxSize":1048576,"authMode":"","accept":"image/png"};` + "\n"
	if body != want {
		t.Errorf("config.js\n got %q\nwant %q", body, want)
	}
}

func TestConfigJSEscapesMarkup(t *testing.T) {
	c := good
	c.Environment = "</script><script>alert(1)</script>"
	srv := newPage(t, c)
	_, body := get(t, srv.URL+"/config.js")
	if strings.Contains(body, "<") {
		t.Errorf("config.js holds a raw '<': %s", body)
	}
}

func TestCSPAllowsOnlyTheSignerAndS3(t *testing.T) {
	srv := newPage(t, good)
	resp, _ := get(t, srv.URL+"/")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{
		"connect-src 'self' http://127.0.0.1:8080 http://127.0.0.1:7070;",
		"img-src 'self' http://127.0.0.1:7070;",
		"default-src 'self'",
	} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
}

func TestUnknownPathsAre404(t *testing.T) {
	srv := newPage(t, good)
	for _, p := range []string{"/index.html", "/static/app.js", "/../go.mod", "/web.go"} {
		if resp, _ := get(t, srv.URL+p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := get(t, srv.URL+"/favicon.ico"); resp.StatusCode != http.StatusNoContent {
		t.Errorf("favicon: status %d, want 204 (control: a known path)", resp.StatusCode)
	}
}

func TestBadURLsAreRefused(t *testing.T) {
	tests := []struct {
		name   string
		signer string
		s3     string
	}{
		{"signer has a path", "http://127.0.0.1:8080/v1", "http://127.0.0.1:7070"},
		{"signer not http", "ftp://127.0.0.1:8080", "http://127.0.0.1:7070"},
		{"s3 empty", "http://127.0.0.1:8080", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			c.SignerURL, c.S3Endpoint = tt.signer, tt.s3
			if _, err := web.Handler(c); err == nil {
				t.Error("got no error")
			}
		})
	}
	if _, err := web.Handler(good); err != nil {
		t.Errorf("control: good config refused: %v", err)
	}
}

// The page is told the auth mode (it asks for a key in apikey mode) and the
// file picker's accept list: every allowed type, plus the extensions named
// for a type that is not built in.
func TestConfigCarriesAuthModeAndAccept(t *testing.T) {
	c := good
	c.AuthMode = "apikey"
	c.AllowedTypes = []string{"image/png", "text/csv=csv|tsv", "application/pdf"}
	_, body := get(t, newPage(t, c).URL+"/config.js")
	for _, want := range []string{`"authMode":"apikey"`, `"accept":"image/png,text/csv,.csv,.tsv,application/pdf"`} {
		if !strings.Contains(body, want) {
			t.Errorf("config.js %s lacks %s", body, want)
		}
	}
	// Control: without auth the page is told so, and asks for nothing.
	if _, body := get(t, newPage(t, good).URL+"/config.js"); !strings.Contains(body, `"authMode":""`) {
		t.Errorf("config.js %s: want an empty authMode", body)
	}
}
