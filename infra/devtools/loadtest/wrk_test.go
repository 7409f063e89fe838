package loadtest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestLuaStringEscapesEverythingButPrintableASCII(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"fileName":"a b.jpg"}`, `"{\034fileName\034:\034a b.jpg\034}"`},
		{`back\slash`, `"back\092slash"`},
		{"é\n", `"\195\169\010"`},
		{"", `""`},
	}
	for _, tt := range tests {
		if got := luaString(tt.in); got != tt.want {
			t.Errorf("luaString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseWrkOutput(t *testing.T) {
	good := "Running 1s test @ http://127.0.0.1:1/\n  2 threads and 4 connections\n" +
		`WRK_JSON {"requests":1200,"duration_us":1000000,"bytes":90000,"errors":{"connect":0,"read":1,"write":0,"status":2,"timeout":3},` +
		`"non2xx":-1,"first_non2xx_status":0,"latency_us":{"min":50,"mean":120.5,"stdev":10.0,"max":900,"p50":110,"p90":150,"p99":400,"p999":800}}` + "\n"
	r, err := parseWrkOutput(good)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 1200 || r.RequestsPerSecond() != 1200 || r.Errors.Socket() != 4 || r.Errors.Status != 2 ||
		r.Non2xx != -1 || r.LatencyUS.P999 != 800 {
		t.Errorf("got %+v", r)
	}
	for name, out := range map[string]string{
		"no JSON line":  "Running 1s test\n",
		"unknown field": `WRK_JSON {"requests":1,"surprise":2}` + "\n",
		"cut short":     `WRK_JSON {"requests":1` + "\n",
	} {
		if _, err := parseWrkOutput(out); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
}

// needWrk returns the wrk binary. Under make (which sets S3PRESIGN_BIN_DIR
// and installs wrk) a missing wrk fails the test; a bare `go test` skips.
func needWrk(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("wrk")
	if err == nil {
		return path
	}
	if os.Getenv("S3PRESIGN_BIN_DIR") != "" {
		t.Fatalf("wrk not found; `make tools` installs it: %v", err)
	}
	t.Skipf("wrk not found (run `make wrk`): %v", err)
	return ""
}

// echoServer answers POST /ok 200 only with the expected body and headers
// (else 400), GET /moved 302 and GET /missing 404.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/ok":
			if string(body) != `{"name":"é \"x\""}` || r.Header.Get("Content-Type") != "application/json" ||
				r.Header.Get("Authorization") != "Bearer s3p_key" {
				http.Error(w, "unexpected request", http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/moved":
			http.Redirect(w, r, "/ok", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

var okRequest = Request{Method: http.MethodPost, Path: "/ok", Body: `{"name":"é \"x\""}`,
	Headers: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer s3p_key"}}

func TestRunWrk(t *testing.T) {
	bin := needWrk(t)
	s := echoServer(t)
	tests := []struct {
		name        string
		reqs        []Request
		countStatus bool
		// Whether some answers must count as non-2xx (script) and as
		// status errors (wrk: status > 399).
		wantNon2xx, wantStatusErrs bool
	}{
		{name: "one POST with body and headers sent as given", reqs: []Request{okRequest}},
		{name: "requests sent in turn", reqs: []Request{okRequest, okRequest}, countStatus: true},
		// wrk's own counter misses a 302; the script's count does not.
		{name: "3xx counted only by the script", reqs: []Request{okRequest, {Method: "GET", Path: "/moved"}},
			countStatus: true, wantNon2xx: true},
		{name: "4xx counted by both", reqs: []Request{{Method: "GET", Path: "/missing"}},
			countStatus: true, wantNon2xx: true, wantStatusErrs: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, out, err := RunWrk(context.Background(), WrkConfig{Bin: bin, BaseURL: s.URL, Threads: 1, Connections: 2,
				Duration: time.Second, Requests: tt.reqs, CountStatus: tt.countStatus, ScriptDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if r.Requests == 0 || r.Errors.Socket() != 0 {
				t.Fatalf("got %d requests, %d socket errors; want some, none\n%s", r.Requests, r.Errors.Socket(), out)
			}
			if got := r.Errors.Status > 0; got != tt.wantStatusErrs {
				t.Errorf("got %d status errors of %d requests, want some: %v", r.Errors.Status, r.Requests, tt.wantStatusErrs)
			}
			switch {
			case !tt.countStatus && r.Non2xx != -1:
				t.Errorf("got non2xx %d when not counting, want -1", r.Non2xx)
			case tt.countStatus && (r.Non2xx > 0) != tt.wantNon2xx:
				t.Errorf("got %d non-2xx of %d requests, want some: %v", r.Non2xx, r.Requests, tt.wantNon2xx)
			}
			if r.LatencyUS.P50 <= 0 || r.LatencyUS.P99 < r.LatencyUS.P50 || r.LatencyUS.P999 < r.LatencyUS.P99 {
				t.Errorf("latency percentiles out of order: %+v", r.LatencyUS)
			}
		})
	}
}

func TestWrkVersion(t *testing.T) {
	bin := needWrk(t)
	v, err := WrkVersion(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "wrk ") || strings.Contains(v, "Copyright") {
		t.Errorf("got %q, want e.g. \"wrk debian/4.1.0-3+b2 [epoll]\"", v)
	}
}
