// Package web is the local stack's upload page: plain HTML and JavaScript,
// embedded in the dev-only program infra/devtools/local and never in the signer's
// image. The page asks the signer for a presigned PUT, uploads straight to S3
// with a progress bar, then shows the object through a presigned GET.
//
// The page learns the signer's URL from /config.js, which Handler writes.
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Config is what the page is told about its surroundings.
type Config struct {
	// SignerURL is the signer's base URL, scheme://host:port.
	SignerURL string
	// S3Endpoint is the S3 server's base URL; the page's Content-Security-Policy
	// lets it upload to and load images from there and nowhere else.
	S3Endpoint string
	// Environment names the settings the stack runs with ("dev").
	Environment string
	// AllowedOrigin says whether this page's origin is one the environment
	// allows; the page shows it as a badge.
	AllowedOrigin bool
	// AllowedTypes and MaxSize are shown to the user as hints. The signer
	// enforces them; the page does not check them itself.
	AllowedTypes []string
	// MaxSize is the largest upload in bytes.
	MaxSize int64
	// AuthMode is the signer's auth mode; with "apikey" the page asks for a
	// key and sends it as a bearer token.
	AuthMode string
}

// pageConfig is the JSON written into /config.js.
type pageConfig struct {
	SignerURL     string   `json:"signerURL"`
	Environment   string   `json:"environment"`
	AllowedOrigin bool     `json:"allowedOrigin"`
	AllowedTypes  []string `json:"allowedTypes"`
	MaxSize       int64    `json:"maxSize"`
	AuthMode      string   `json:"authMode"`
	// Accept is the file picker's accept attribute: every allowed type and
	// the extensions named for it.
	Accept string `json:"accept"`
}

// Handler serves the page: / (index.html), /app.js, /style.css and
// /config.js; /favicon.ico answers 204 and anything else 404. Every answer
// says no-store, so a restarted stack never serves a stale signer URL.
func Handler(c Config) (http.Handler, error) {
	signer, err := origin("SignerURL", c.SignerURL)
	s3, err2 := origin("S3Endpoint", c.S3Endpoint)
	if err := errors.Join(err, err2); err != nil {
		return nil, err
	}
	cfgJS, err := configJS(pageConfig{
		SignerURL: signer, Environment: c.Environment, AllowedOrigin: c.AllowedOrigin,
		AllowedTypes: c.AllowedTypes, MaxSize: c.MaxSize, AuthMode: c.AuthMode, Accept: accept(c.AllowedTypes),
	})
	if err != nil {
		return nil, err
	}
	files, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	csp := strings.Join([]string{
		"default-src 'self'",
		"connect-src 'self' " + signer + " " + s3,
		"img-src 'self' " + s3,
		"object-src 'none'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
	}, "; ")

	mux := http.NewServeMux()
	for _, f := range []struct{ path, file, ctype string }{
		{"GET /{$}", "index.html", "text/html; charset=utf-8"},
		{"GET /app.js", "app.js", "text/javascript; charset=utf-8"},
		{"GET /notify.js", "notify.js", "text/javascript; charset=utf-8"},
		{"GET /style.css", "style.css", "text/css; charset=utf-8"},
	} {
		body, err := fs.ReadFile(files, f.file)
		if err != nil {
			return nil, err
		}
		mux.Handle(f.path, serveBytes(body, f.ctype))
	}
	mux.Handle("GET /config.js", serveBytes(cfgJS, "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", csp)
		mux.ServeHTTP(w, r)
	}), nil
}

// zeroTime leaves Last-Modified out: the page is never cached (no-store).
var zeroTime time.Time

func serveBytes(body []byte, ctype string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		http.ServeContent(w, r, "", zeroTime, bytes.NewReader(body))
	})
}

// configJS renders the page's settings as a script that sets
// window.S3PRESIGN_PAGE. encoding/json escapes <, > and &, so no value can
// close the script.
func configJS(c pageConfig) ([]byte, error) {
	if c.AllowedTypes == nil {
		c.AllowedTypes = []string{}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, "window.S3PRESIGN_PAGE = %s;\n", b), nil
}

// origin checks that s is scheme://host[:port] with nothing after it and
// returns it without a trailing slash.
func origin(name, s string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("web: %s %q must be http(s)://host[:port]", name, s)
	}
	return u.Scheme + "://" + u.Host, nil
}

// accept turns allowed types ("image/png", or "type/subtype=ext|ext" for a
// type that is not built in) into a file input's accept list: each type,
// plus ".ext" for every extension named, so the picker offers exactly the
// files the signer takes.
func accept(types []string) string {
	var out []string
	for _, t := range types {
		typ, exts, _ := strings.Cut(t, "=")
		out = append(out, strings.TrimSpace(typ))
		for _, e := range strings.Split(exts, "|") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, "."+strings.TrimPrefix(e, "."))
			}
		}
	}
	return strings.Join(out, ",")
}
