package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/internal/metrics"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the middleware, not a recorder.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}

// BenchmarkMetricsMiddleware measures what the metrics middleware adds to a
// request: the access-log middleware around a handler that answers at once,
// without (off) and with (on) measure in between. The difference of the two
// is the middleware's cost per request; it must allocate nothing.
func BenchmarkMetricsMiddleware(b *testing.B) {
	log := NewRequestLog(io.Discard, slog.LevelInfo)
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if x := exchangeOf(r); x != nil {
			x.pattern = routeUploads
		}
		w.WriteHeader(http.StatusCreated)
	})
	reg := metrics.New(metrics.Options{Environment: "bench", Namespace: "S3Presign"})
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"off", observe(log, "test-bucket", 0)(inner)},
		{"on", observe(log, "test-bucket", 0)(measure(reg)(inner))},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("POST", "/v1/uploads", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				c.h.ServeHTTP(w, r)
			}
		})
	}
}

// BenchmarkHandlerMetrics is BenchmarkHandler's upload, download and
// healthz cases with metrics off and on (EMF namespace set, caller
// dimension off), so make bench shows the metrics overhead on whole requests.
func BenchmarkHandlerMetrics(b *testing.B) {
	cases := []struct {
		name, method, target, body string
		status                     int
	}{
		{"upload", "POST", "/v1/uploads", `{"fileName":"holiday photo.jpg","contentType":"image/jpeg","size":123456}`, 201},
		{"download", "POST", "/v1/downloads", `{"key":"uploads/aaaaaaaaaaaaaaaaaaaaaaaaaa/holiday photo.jpg"}`, 200},
		{"healthz", "GET", "/healthz", "", 200},
	}
	for _, mode := range []string{"off", "on"} {
		s := newTestServer(b, func(d *Deps) {
			d.Logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
			d.RequestLog = NewRequestLog(io.Discard, slog.LevelInfo)
			if mode == "on" {
				d.Metrics = metrics.New(metrics.Options{Environment: "bench", Namespace: "S3Presign"})
			}
		})
		for _, c := range cases {
			b.Run(mode+"/"+c.name, func(b *testing.B) {
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
}
