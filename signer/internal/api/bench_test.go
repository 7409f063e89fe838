package api

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/internal/rules"
	"github.com/s3presign/s3presign/signer/internal/uploadtoken"
)

// BenchmarkHandler measures one full handler call (middleware, decode,
// validate, key, presign, encode) through httptest, with logging at info
// level into a discarding JSON handler.
func BenchmarkHandler(b *testing.B) {
	tokens, err := uploadtoken.New(testTokenKey)
	if err != nil {
		b.Fatal(err)
	}
	s := newTestServer(b, func(d *Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
		d.RequestLog = NewRequestLog(io.Discard, slog.LevelInfo)
		d.Store, d.Tokens, d.Multipart = &store{}, tokens, testMultipart
	})
	// A 100 MiB upload in 5 MiB parts, as POST /v1/multipart issues it.
	token := tokens.Sign(uploadtoken.Claims{UploadID: "upload-1", Key: "uploads/" + zeroID + "/holiday video.pdf",
		Size: 100 << 20, PartSize: 5 << 20, Expires: fixedNow.Add(rules.MultipartLifetime)})
	cases := []struct {
		name, method, target, body string
		status                     int
	}{
		{"upload", "POST", "/v1/uploads", `{"fileName":"holiday photo.jpg","contentType":"image/jpeg","size":123456}`, 201},
		{"download", "POST", "/v1/downloads", `{"key":"uploads/aaaaaaaaaaaaaaaaaaaaaaaaaa/holiday photo.jpg","downloadName":"holiday photo.jpg"}`, 200},
		{"compat-upload", "GET", "/signed-url-upload?fileName=demo-image&extension=png&mediaType=image", "", 200},
		{"post-policy", "POST", "/v1/uploads", `{"fileName":"holiday photo.jpg","contentType":"image/jpeg","size":123456,"method":"POST"}`, 201},
		// Token check and a batch of four part URLs, each signing its length.
		{"multipart-parts", "POST", "/v1/multipart/upload-1/parts", `{"token":"` + token + `","partNumbers":[1,2,3,4]}`, 200},
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
