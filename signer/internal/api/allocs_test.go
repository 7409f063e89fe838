package api

import (
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/auth"
	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
	"github.com/s3presign/s3presign/signer/internal/metrics"
)

// Allocation ceilings of one full handler call (middleware, authentication,
// rate limiter, metrics, decoding, signing, encoding and the request log
// line), the production shape of each route. They were set at the counts
// measured when the answer path was made lean; lowering them is welcome,
// raising one needs a reason in the commit that does it.
const (
	maxAllocsCompatUpload = 7
	maxAllocsV1UploadKey  = 15
)

// allocServer is the handler as production runs it: request log at info
// level (to a discarding writer), metrics on and, with apiKey, mode apikey
// with the rate limiter.
func allocServer(t *testing.T, apiKey bool) (*testServer, string) {
	t.Helper()
	var key string
	s := newTestServer(t, func(d *Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
		d.RequestLog = NewRequestLog(io.Discard, slog.LevelInfo, slog.String("service", "signer"))
		d.Metrics = metrics.New(metrics.Options{Environment: "test", Namespace: "S3Presign"})
		if !apiKey {
			return
		}
		k, line, err := auth.NewAPIKey("alice", rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		a, err := auth.NewAPIKeys(line, "")
		if err != nil {
			t.Fatal(err)
		}
		lim, err := auth.NewLimiter(auth.LimiterConfig{Default: authconfig.Limit{PerSecond: 1e6, Burst: 1e6},
			Now: func() time.Time { return fixedNow }})
		if err != nil {
			t.Fatal(err)
		}
		key, d.Auth, d.Limiter = k, a, lim
	})
	return s, key
}

// allocsPerCall returns the allocations of one call of s's handler with the
// request made by req (which is built once, outside the count).
func allocsPerCall(t *testing.T, s *testServer, method, target, body string, hdr http.Header, want int) float64 {
	t.Helper()
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	rd := strings.NewReader(body)
	r := httptest.NewRequest(method, target, rd)
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := &discardWriter{h: http.Header{}}
	call := func() {
		rd.Reset(body)
		clear(w.h)
		w.status = 0
		s.h.ServeHTTP(w, r)
	}
	call()
	if w.status != want {
		t.Fatalf("%s %s: status %d, want %d", method, target, w.status, want)
	}
	return testing.AllocsPerRun(200, call)
}

func TestAllocsCompatUpload(t *testing.T) {
	s, _ := allocServer(t, false)
	n := allocsPerCall(t, s, "GET", "/signed-url-upload?fileName=demo-image&extension=png&mediaType=image", "", nil, 200)
	t.Logf("compat upload: %.0f allocations per request", n)
	if n > maxAllocsCompatUpload {
		t.Errorf("compat upload: %.0f allocations per request, want at most %d", n, maxAllocsCompatUpload)
	}
}

func TestAllocsV1UploadAPIKey(t *testing.T) {
	s, key := allocServer(t, true)
	hdr := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + key}}
	n := allocsPerCall(t, s, "POST", "/v1/uploads", `{"fileName":"holiday photo.jpg","contentType":"image/jpeg","size":123456}`, hdr, 201)
	t.Logf("v1 upload, API key, size: %.0f allocations per request", n)
	if n > maxAllocsV1UploadKey {
		t.Errorf("v1 upload with an API key: %.0f allocations per request, want at most %d", n, maxAllocsV1UploadKey)
	}
}
