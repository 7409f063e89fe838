package api

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkHandler measures one full handler call (middleware, decode,
// validate, key, presign, encode) through httptest, with logging at info
// level into a discarding JSON handler.
func BenchmarkHandler(b *testing.B) {
	s := newTestServer(b, func(d *Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	cases := []struct {
		name, method, target, body string
		status                     int
	}{
		{"upload", "POST", "/v1/uploads", `{"fileName":"holiday photo.jpg","contentType":"image/jpeg","size":123456}`, 201},
		{"download", "POST", "/v1/downloads", `{"key":"uploads/aaaaaaaaaaaaaaaaaaaaaaaaaa/holiday photo.jpg","downloadName":"holiday photo.jpg"}`, 200},
		{"compat-upload", "GET", "/signed-url-upload?fileName=demo-image&extension=png&mediaType=image", "", 200},
		// The floor: httptest request and recorder, middleware, mux, access
		// log and a tiny JSON answer, with no decoding or signing.
		{"healthz", "GET", "/healthz", "", 200},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			body := strings.NewReader(c.body)
			b.ReportAllocs()
			for b.Loop() {
				body.Reset(c.body)
				r := httptest.NewRequest(c.method, c.target, body)
				if c.body != "" {
					r.Header.Set("Content-Type", "application/json")
				}
				w := httptest.NewRecorder()
				s.h.ServeHTTP(w, r)
				if w.Code != c.status {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
