package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/metrics"
)

// metricsServer is a test server with metrics on.
func metricsServer(t testing.TB, opts metrics.Options, opt func(*Deps)) (*testServer, *metrics.Registry) {
	t.Helper()
	reg := metrics.New(opts)
	s := newTestServer(t, func(d *Deps) {
		d.Metrics = reg
		if opt != nil {
			opt(d)
		}
	})
	return s, reg
}

// emfTotals flushes reg and adds up each metric's value per series, keyed
// "Metric|dim=value|dim=value" over the line's dimension members.
func emfTotals(t *testing.T, reg *metrics.Registry) (map[string]uint64, string) {
	t.Helper()
	var b bytes.Buffer
	if err := reg.Flush(&b, fixedNow); err != nil {
		t.Fatal(err)
	}
	totals := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("EMF line is not JSON: %v\n%s", err, sc.Bytes())
		}
		var dims []string
		for _, d := range []string{"Route", "Code", "Operation", "Caller"} {
			if raw, ok := m[d]; ok {
				var v string
				_ = json.Unmarshal(raw, &v)
				dims = append(dims, d+"="+v)
			}
		}
		for _, name := range []string{"Requests", "Refused", "URLsIssued"} {
			if raw, ok := m[name]; ok {
				n, err := strconv.ParseUint(string(raw), 10, 64)
				if err != nil {
					t.Fatalf("%s = %s", name, raw)
				}
				totals[strings.Join(append([]string{name}, dims...), "|")] += n
			}
		}
	}
	return totals, b.String()
}

func TestMetricsCountRoutesCodesAndIssuedURLs(t *testing.T) {
	s, reg := metricsServer(t, metrics.Options{Environment: "test", Namespace: "S3Presign"}, nil)
	s.postJSON("/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`)     // 201
	s.postJSON("/v1/uploads", `{"fileName":"b.png","contentType":"image/png","size":5}`)     // 201
	s.postJSON("/v1/uploads", `{"fileName":"c.svg","contentType":"image/svg+xml","size":5}`) // 415
	s.postJSON("/v1/downloads", `{"key":"uploads/`+zeroID+`/a.png"}`)                        // 200
	s.postJSON("/v1/downloads", `{"key":"elsewhere/`+zeroID+`/a.png"}`)                      // 403
	s.do("GET", "/signed-url-upload?fileName=x&extension=png&mediaType=image", "", "")       // 200
	s.do("GET", "/no/such/route?token=x", "", "")                                            // 404
	s.do("PUT", "/v1/uploads", "", "")                                                       // 405
	s.do("GET", "/healthz", "", "")                                                          // 200

	got, out := emfTotals(t, reg)
	want := map[string]uint64{
		"Requests|Route=POST /v1/uploads":       3,
		"Requests|Route=POST /v1/downloads":     2,
		"Requests|Route=GET /signed-url-upload": 1,
		"Requests|Route=unmatched":              2, // 404 and 405
		"Requests|Route=GET /healthz":           1,
		"Refused|Code=unsupported_media_type":   1,
		"Refused|Code=forbidden":                1,
		"Refused|Code=not_found":                1,
		"Refused|Code=method_not_allowed":       1,
		"URLsIssued|Operation=upload":           2,
		"URLsIssued|Operation=download":         1,
		"URLsIssued|Operation=compat_upload":    1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected series %s = %d\n%s", k, got[k], out)
		}
	}
}

// TestMetricsHoldNoURLKeyOrSecret sends requests whose paths, queries,
// bodies and headers carry recognisable secrets, and checks that neither the
// EMF lines nor the Prometheus text holds any of them: dimensions are route
// patterns, codes, operations and (when configured) caller names only.
func TestMetricsHoldNoURLKeyOrSecret(t *testing.T) {
	keys, a := testKeys(t, "alice")
	s, reg := metricsServer(t, metrics.Options{Environment: "test", Namespace: "S3Presign", CallerDimension: true},
		func(d *Deps) { d.Auth = a })
	secrets := []string{
		keys["alice"], "SECRETNAME", "SECRETQUERY", "SECRETPATH", "SECRETHEADER", "X-Amz-", "AKIDEXAMPLE",
		"wJalrXUtnFEMI", zeroID, "uploads/", "Bearer",
	}
	auth := bearer(keys["alice"])
	w := s.do("POST", "/v1/uploads", "application/json", `{"fileName":"SECRETNAME.png","contentType":"image/png","size":5}`, auth...)
	if w.Code != 201 {
		t.Fatalf("control upload: %d %s", w.Code, w.Body)
	}
	s.do("POST", "/v1/downloads", "application/json", `{"key":"uploads/alice/`+zeroID+`/SECRETNAME.png"}`, auth...)
	s.do("GET", "/signed-url-upload?fileName=SECRETQUERY&extension=png&mediaType=image", "", "", auth...)
	s.do("GET", "/SECRETPATH/"+zeroID+"?X-Amz-Signature=SECRETQUERY", "", "", "X-Secret", "SECRETHEADER")
	s.do("POST", "/v1/uploads", "application/json", `{}`, "Authorization", "Bearer SECRETHEADER") // 401

	_, emf := emfTotals(t, reg)
	var prom bytes.Buffer
	if err := reg.WritePrometheus(&prom); err != nil {
		t.Fatal(err)
	}
	for _, out := range []struct{ name, text string }{{"EMF", emf}, {"Prometheus", prom.String()}} {
		for _, sec := range secrets {
			if strings.Contains(out.text, sec) {
				t.Errorf("%s output holds %q:\n%s", out.name, sec, out.text)
			}
		}
		// Control: the caller's name, a dimension on purpose, is there.
		if !strings.Contains(out.text, "alice") {
			t.Errorf("%s output lacks the configured caller dimension:\n%s", out.name, out.text)
		}
	}
}

func TestMetricsCallerOfARefusal(t *testing.T) {
	keys, a := testKeys(t, "alice")
	s, reg := metricsServer(t, metrics.Options{Environment: "test", Namespace: "S3Presign", CallerDimension: true},
		func(d *Deps) { d.Auth = a })
	// An authenticated refusal counts under its caller; an unauthenticated
	// one under "-".
	s.do("POST", "/v1/uploads", "application/json", `{"fileName":"a.svg","contentType":"image/svg+xml","size":5}`, bearer(keys["alice"])...)
	s.do("POST", "/v1/uploads", "application/json", uploadBody)
	got, out := emfTotals(t, reg)
	for k, v := range map[string]uint64{
		"Refused|Code=unsupported_media_type|Caller=alice": 1,
		"Refused|Code=unauthorized|Caller=-":               1,
	} {
		if got[k] != v {
			t.Errorf("%s = %d, want %d\n%s", k, got[k], v, out)
		}
	}
}

func TestMetricsConcurrentRequestsAddUp(t *testing.T) {
	// Run with -race (make test does for the metrics tests).
	s, reg := metricsServer(t, metrics.Options{Environment: "test", Namespace: "S3Presign"}, nil)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	var failed sync.Once
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := `{"fileName":"a.png","contentType":"image/png","size":5}`
				status := http.StatusCreated
				if i%5 == 0 {
					body, status = `{"fileName":"a.exe","contentType":"image/png","size":5}`, http.StatusBadRequest
				}
				if w := s.postJSON("/v1/uploads", body); w.Code != status {
					failed.Do(func() { t.Errorf("status %d, want %d: %s", w.Code, status, w.Body) })
				}
			}
		}()
	}
	// Flush while requests run: deltas of all flushes must add up.
	totals := map[string]uint64{}
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			got, _ := emfTotals(t, reg)
			mu.Lock()
			for k, v := range got {
				totals[k] += v
			}
			mu.Unlock()
			time.Sleep(time.Millisecond) // spread the flushes over the run; not a readiness wait
		}
	}()
	wg.Wait()
	<-done
	got, _ := emfTotals(t, reg)
	for k, v := range got {
		totals[k] += v
	}
	for k, v := range map[string]uint64{
		"Requests|Route=POST /v1/uploads": workers * each,
		"Refused|Code=invalid_request":    workers * each / 5,
		"URLsIssued|Operation=upload":     workers * each * 4 / 5,
	} {
		if totals[k] != v {
			t.Errorf("%s adds up to %d, want %d", k, totals[k], v)
		}
	}
}

func TestMetricsOffAddsNoMiddleware(t *testing.T) {
	// Control for the benchmark: with Metrics nil, requests are not measured
	// and nothing breaks.
	s := newTestServer(t, nil)
	if w := s.postJSON("/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`); w.Code != 201 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	_ = fmt.Sprint()
}

func TestMetricsNamePreflights(t *testing.T) {
	s, reg := metricsServer(t, metrics.Options{Environment: "test", Namespace: "S3Presign"},
		func(d *Deps) { d.CORSOrigins = []string{"https://app.example"} })
	pre := func(origin string) int {
		return s.do("OPTIONS", "/v1/uploads", "", "", "Origin", origin, "Access-Control-Request-Method", "POST").Code
	}
	if c := pre("https://app.example"); c != http.StatusNoContent {
		t.Fatalf("allowed preflight: %d", c)
	}
	if c := pre("https://evil.example"); c != http.StatusForbidden {
		t.Fatalf("other origin's preflight: %d", c)
	}
	got, out := emfTotals(t, reg)
	if got["Requests|Route="+routePreflight] != 2 || got["Refused|Code=forbidden"] != 1 || got["Requests|Route=unmatched"] != 0 {
		t.Fatalf("preflights not counted under %q:\n%s", routePreflight, out)
	}
}
