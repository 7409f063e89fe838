package metrics

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// flushAt is the fixed clock of every EMF test: 2026-01-02T03:04:05Z.
var flushAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s\nwant:\n%s", name, got, want)
	}
}

// flush returns the EMF output of one Flush at flushAt.
func flush(t *testing.T, r *Registry) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.Flush(&b, flushAt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sampleTraffic is a few requests of each kind.
func sampleTraffic(r *Registry) {
	for _, d := range []time.Duration{900 * time.Microsecond, 1100 * time.Microsecond, 1100 * time.Microsecond, 25 * time.Millisecond} {
		r.Observe(Observation{Route: "POST /v1/uploads", Duration: d, Caller: "app-one"})
	}
	r.Observe(Observation{Route: "POST /v1/uploads", Code: "unsupported_media_type", Duration: 300 * time.Microsecond, Caller: "app-one"})
	r.Observe(Observation{Route: "POST /v1/downloads", Code: "forbidden", Duration: 200 * time.Microsecond, Caller: "app-two"})
	r.Observe(Observation{Route: "POST /v1/downloads", Code: "unauthorized", Duration: 50 * time.Microsecond})
	r.Observe(Observation{Route: "", Code: "not_found", Duration: 10 * time.Microsecond})
	r.Observe(Observation{Route: "GET /healthz", Duration: 3 * time.Microsecond, Probe: true})
	for range 4 {
		r.Issued("upload", "app-one")
	}
	r.Issued("download", "app-two")
}

func TestEMFGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"emf.golden", Options{Environment: "prod", Namespace: "S3Presign"}},
		{"emf-caller.golden", Options{Environment: "prod", Namespace: "S3Presign", CallerDimension: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := New(c.opts)
			sampleTraffic(r)
			out := flush(t, r)
			checkEMF(t, out)
			golden(t, c.name, out)
		})
	}
}

func TestEMFWritesDeltasAndNothingWhenIdle(t *testing.T) {
	r := New(Options{Environment: "dev", Namespace: "S3Presign"})
	if out := flush(t, r); len(out) != 0 {
		t.Fatalf("flush of an empty registry wrote %q", out)
	}
	sampleTraffic(r)
	if out := flush(t, r); bytes.Count(out, []byte("\n")) != 10 {
		t.Fatalf("first flush wrote %d lines, want 10 (4 routes, 4 codes, 2 operations):\n%s", bytes.Count(out, []byte("\n")), out)
	}
	if out := flush(t, r); len(out) != 0 {
		t.Fatalf("flush with no activity since the last one wrote %q", out)
	}
	r.Issued("upload", "")
	out := flush(t, r)
	want := `"Operation":"upload","URLsIssued":1}` + "\n"
	if bytes.Count(out, []byte("\n")) != 1 || !bytes.HasSuffix(out, []byte(want)) {
		t.Fatalf("flush after one issued URL = %s, want one line ending %s", out, want)
	}
}

func TestEMFOffWritesNothing(t *testing.T) {
	r := New(Options{Environment: "dev"}) // no namespace: EMF off
	sampleTraffic(r)
	if out := flush(t, r); len(out) != 0 {
		t.Fatalf("EMF off but Flush wrote %q", out)
	}
	// Control: the same traffic with a namespace writes lines.
	r = New(Options{Environment: "dev", Namespace: "S3Presign"})
	sampleTraffic(r)
	if out := flush(t, r); len(out) == 0 {
		t.Fatal("EMF on but Flush wrote nothing")
	}
}

// emfDoc is the part of an EMF document the checks read.
type emfDoc struct {
	AWS struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
}

// checkEMF applies the EMF specification's rules to every line: one JSON
// object per line, a millisecond timestamp, every dimension and metric a
// member of the root, histograms with matching Values and Counts of at most
// 100 entries whose Count is their total.
func checkEMF(t *testing.T, out []byte) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		var doc emfDoc
		var root map[string]json.RawMessage
		if err := json.Unmarshal(line, &doc); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", n, err, line)
		}
		if err := json.Unmarshal(line, &root); err != nil {
			t.Fatal(err)
		}
		if doc.AWS.Timestamp != flushAt.UnixMilli() {
			t.Errorf("line %d: Timestamp %d, want %d", n, doc.AWS.Timestamp, flushAt.UnixMilli())
		}
		if len(doc.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("line %d: %d metric directives, want 1", n, len(doc.AWS.CloudWatchMetrics))
		}
		dir := doc.AWS.CloudWatchMetrics[0]
		for _, set := range dir.Dimensions {
			if len(set) == 0 || len(set) > 30 {
				t.Errorf("line %d: dimension set %v has %d names", n, set, len(set))
			}
			for _, d := range set {
				var v string
				if err := json.Unmarshal(root[d], &v); err != nil || v == "" {
					t.Errorf("line %d: dimension %q is not a non-empty string member (%s)", n, d, root[d])
				}
			}
		}
		for _, m := range dir.Metrics {
			raw, ok := root[m.Name]
			if !ok {
				t.Fatalf("line %d: metric %q has no member", n, m.Name)
			}
			if raw[0] != '{' {
				if _, err := strconv.ParseUint(string(raw), 10, 64); err != nil {
					t.Errorf("line %d: %s = %s, want a count", n, m.Name, raw)
				}
				continue
			}
			var h struct {
				Values               []float64
				Counts               []uint64
				Max, Min, Count, Sum float64
			}
			if err := json.Unmarshal(raw, &h); err != nil {
				t.Fatalf("line %d: histogram %s: %v", n, m.Name, err)
			}
			if len(h.Values) != len(h.Counts) || len(h.Values) == 0 || len(h.Values) > 100 {
				t.Errorf("line %d: %d values, %d counts", n, len(h.Values), len(h.Counts))
			}
			var total uint64
			for i, c := range h.Counts {
				total += c
				if i > 0 && h.Values[i] <= h.Values[i-1] {
					t.Errorf("line %d: values not ascending: %v", n, h.Values)
				}
			}
			if float64(total) != h.Count || h.Min != h.Values[0] || h.Max != h.Values[len(h.Values)-1] {
				t.Errorf("line %d: histogram summary %+v does not match its values", n, h)
			}
			if h.Sum < h.Min*h.Count || h.Sum > h.Max*h.Count {
				t.Errorf("line %d: Sum %v outside [Min*Count, Max*Count]", n, h.Sum)
			}
		}
	}
	if n == 0 {
		t.Fatal("no EMF lines")
	}
}

func TestConcurrentCountsAddUp(t *testing.T) {
	// Run with -race (make test does for this package).
	r := New(Options{Environment: "dev", Namespace: "S3Presign", CallerDimension: true})
	const workers, each = 8, 2000
	var wg sync.WaitGroup
	var emf bytes.Buffer
	var emfMu sync.Mutex
	stop := make(chan struct{})
	flushed := make(chan struct{})
	go func() { // flush while the counters move
		defer close(flushed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			emfMu.Lock()
			_ = r.Flush(&emf, flushAt)
			emfMu.Unlock()
		}
	}()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			caller := fmt.Sprintf("caller-%d", w%3)
			for i := range each {
				o := Observation{Route: "POST /v1/uploads", Duration: time.Duration(i) * time.Microsecond, Caller: caller}
				if i%4 == 0 {
					o.Code = "invalid_request"
				}
				r.Observe(o)
				r.Issued("upload", caller)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-flushed
	emfMu.Lock()
	defer emfMu.Unlock()
	_ = r.Flush(&emf, flushAt)

	sums := map[string]uint64{}
	sc := bufio.NewScanner(&emf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"Requests", "Refused", "URLsIssued"} {
			if raw, ok := m[name]; ok {
				n, _ := strconv.ParseUint(string(raw), 10, 64)
				sums[name] += n
			}
		}
	}
	want := map[string]uint64{"Requests": workers * each, "Refused": workers * each / 4, "URLsIssued": workers * each}
	for name, w := range want {
		if sums[name] != w {
			t.Errorf("EMF lines add up to %s = %d, want %d", name, sums[name], w)
		}
	}
	var prom bytes.Buffer
	if err := r.WritePrometheus(&prom); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		fmt.Sprintf(`s3presign_request_duration_seconds_count{environment="dev",route="POST /v1/uploads"} %d`, workers*each),
	} {
		if !strings.Contains(prom.String(), line+"\n") {
			t.Errorf("Prometheus output lacks %q:\n%s", line, prom.String())
		}
	}
	if got := promSum(t, prom.String(), "s3presign_urls_issued_total"); got != workers*each {
		t.Errorf("s3presign_urls_issued_total adds up to %d, want %d", got, workers*each)
	}
}

// promSum adds up every sample of a metric.
func promSum(t *testing.T, text, name string) uint64 {
	t.Helper()
	var sum uint64
	for line := range strings.Lines(text) {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		f := strings.Fields(line)
		n, err := strconv.ParseUint(f[len(f)-1], 10, 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		sum += n
	}
	return sum
}

func TestCallerDimensionIsBounded(t *testing.T) {
	r := New(Options{Environment: "dev", Namespace: "S3Presign", CallerDimension: true})
	for i := range MaxCallers + 5 {
		r.Issued("upload", fmt.Sprintf("c%03d", i))
	}
	r.Issued("upload", "")
	out := string(flush(t, r))
	if got := strings.Count(out, "\n"); got != MaxCallers+2 {
		t.Errorf("%d lines, want %d (MaxCallers names, %q, %q)", got, MaxCallers+2, CallerOther, "-")
	}
	if !strings.Contains(out, `"Caller":"other","URLsIssued":5`) {
		t.Errorf("callers past MaxCallers are not counted under %q", CallerOther)
	}
	if !strings.Contains(out, `"Caller":"-","URLsIssued":1`) {
		t.Errorf("no caller is not counted under %q", "-")
	}
	// Control: the caller dimension off keeps callers out entirely.
	r = New(Options{Environment: "dev", Namespace: "S3Presign"})
	r.Issued("upload", "c001")
	if out := string(flush(t, r)); strings.Contains(out, "Caller") || strings.Contains(out, "c001") {
		t.Errorf("caller dimension off, but the output names the caller: %s", out)
	}
}

func TestPrometheusGolden(t *testing.T) {
	r := New(Options{Environment: "prod", Namespace: "S3Presign"})
	sampleTraffic(r)
	var b bytes.Buffer
	if err := r.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	sample := regexp.MustCompile(`^[a-z_][a-z0-9_]*\{([a-z_]+="([^"\\\n]|\\.)*",?)+\} [0-9.e+-]+$`)
	for line := range strings.Lines(b.String()) {
		line = strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		if !sample.MatchString(line) {
			t.Errorf("not a text-format sample: %q", line)
		}
	}
	golden(t, "prometheus.golden", b.Bytes())
}

func TestHandler(t *testing.T) {
	r := New(Options{Environment: "dev"})
	r.Issued("download", "")
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != PrometheusContentType ||
		!strings.Contains(body.String(), `s3presign_urls_issued_total{environment="dev",operation="download"} 1`) {
		t.Fatalf("GET /metrics = %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body.String())
	}
	// Control: nothing else is served.
	resp, err = http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET / = %d, want 404", resp.StatusCode)
	}
}

func TestRunFlushesOnTickAndAtTheEnd(t *testing.T) {
	r := New(Options{Environment: "dev", Namespace: "S3Presign"})
	ticks := make(chan time.Time)
	out := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx, ticks, out, func() time.Time { return flushAt }, nil)
	}()
	r.Issued("upload", "")
	ticks <- flushAt // unbuffered: Run has taken it when this returns
	r.Issued("download", "")
	cancel()
	<-done
	got := out.String()
	if !strings.Contains(got, `"Operation":"upload"`) {
		t.Errorf("tick did not flush the upload: %s", got)
	}
	if !strings.Contains(got, `"Operation":"download"`) {
		t.Errorf("the end of Run did not flush the download: %s", got)
	}
}

func TestRunReportsWriteErrors(t *testing.T) {
	r := New(Options{Environment: "dev", Namespace: "S3Presign"})
	r.Issued("upload", "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var got error
	r.Run(ctx, nil, failingWriter{}, time.Now, func(err error) { got = err })
	if !errors.Is(got, errWrite) {
		t.Fatalf("onError got %v, want %v", got, errWrite)
	}
}

var errWrite = errors.New("stdout closed")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Reloads of the API keys are counted by result, in EMF and Prometheus;
// with none, Prometheus writes no such series (modes other than apikey).
func TestKeyReloadsCounted(t *testing.T) {
	r := New(Options{Environment: "dev", Namespace: "S3Presign"})
	var prom bytes.Buffer
	if err := r.WritePrometheus(&prom); err != nil || bytes.Contains(prom.Bytes(), []byte("api_key_reloads")) {
		t.Fatalf("no reloads yet, Prometheus wrote a reload series (%v):\n%s", err, prom.Bytes())
	}
	r.KeyReload(true)
	r.KeyReload(false)
	r.KeyReload(false)
	out := flush(t, r)
	for _, want := range []string{`"Result":"failed","APIKeyReloads":2}`, `"Result":"ok","APIKeyReloads":1}`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("EMF lacks %s:\n%s", want, out)
		}
	}
	prom.Reset()
	if err := r.WritePrometheus(&prom); err != nil || !bytes.Contains(prom.Bytes(), []byte(`s3presign_api_key_reloads_total{environment="dev",result="failed"} 2`)) {
		t.Errorf("Prometheus (%v):\n%s", err, prom.Bytes())
	}
}
