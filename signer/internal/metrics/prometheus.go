package metrics

import (
	"bufio"
	"cmp"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Prometheus metric names. The request count is the histogram's _count.
const (
	promDuration = "s3presign_request_duration_seconds"
	promRefused  = "s3presign_refused_total"
	promIssued   = "s3presign_urls_issued_total"
	promReloads  = "s3presign_api_key_reloads_total"
)

// PrometheusContentType is the content type of the text exposition format.
const PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

// WritePrometheus writes every series' running totals in the Prometheus text
// exposition format (version 0.0.4). The latency histogram's buckets are the
// powers of two of the EMF histogram (4.1 µs to 68.7 s), which its finer
// buckets add up to exactly; _sum is exact.
func (r *Registry) WritePrometheus(w io.Writer) error {
	bw := bufio.NewWriter(w)
	env := `environment="` + escapeLabel(r.opts.Environment) + `"`

	routes := r.routes.load()
	bw.WriteString("# HELP " + promDuration + " Time to answer a request, by route pattern.\n")
	bw.WriteString("# TYPE " + promDuration + " histogram\n")
	for _, route := range sortedKeys(routes, cmp.Compare[string]) {
		s := routes[route]
		labels := env + `,route="` + escapeLabel(route) + `"`
		var cum uint64
		for i := range NumBuckets {
			cum += s.buckets[i].Load()
			_, hi := bucketBounds(i)
			// Cumulative buckets at each power of two: bucket 0's bound and
			// every fourth bucket's.
			if hi == 0 || hi&(hi-1) != 0 {
				continue
			}
			le := strconv.FormatFloat(float64(hi)/1e9, 'g', -1, 64)
			bw.WriteString(promDuration + "_bucket{" + labels + `,le="` + le + `"} ` + strconv.FormatUint(cum, 10) + "\n")
		}
		bw.WriteString(promDuration + "_bucket{" + labels + `,le="+Inf"} ` + strconv.FormatUint(cum, 10) + "\n")
		sum := strconv.FormatFloat(float64(s.sumNanos.Load())/1e9, 'g', -1, 64)
		bw.WriteString(promDuration + "_sum{" + labels + "} " + sum + "\n")
		bw.WriteString(promDuration + "_count{" + labels + "} " + strconv.FormatUint(cum, 10) + "\n")
	}
	r.promCounters(bw, env, promRefused, "Requests answered with an error code, by code.", "code", r.refused.load())
	r.promCounters(bw, env, promIssued, "Presigned URLs and POST forms issued, by operation.", "operation", r.issued.load())
	if reloads := r.reloads.load(); len(reloads) > 0 { // only in mode apikey
		r.promCounters(bw, env, promReloads, "Reloads of the API-key lines, by result (failed: the last good set was kept).", "result", reloads)
	}
	return bw.Flush()
}

func (r *Registry) promCounters(bw *bufio.Writer, env, name, help, label string, series map[labelKey]*counter) {
	bw.WriteString("# HELP " + name + " " + help + "\n")
	bw.WriteString("# TYPE " + name + " counter\n")
	for _, k := range sortedKeys(series, compareLabels) {
		labels := env + "," + label + `="` + escapeLabel(k.name) + `"`
		if r.opts.CallerDimension {
			labels += `,caller="` + escapeLabel(k.caller) + `"`
		}
		bw.WriteString(name + "{" + labels + "} " + strconv.FormatUint(series[k].n.Load(), 10) + "\n")
	}
}

// escapeLabel escapes a label value: backslash, double quote and newline.
func escapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// Handler serves GET /metrics in the Prometheus text format, and 404 for
// every other path. It is meant for a private listener of its own.
func (r *Registry) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", PrometheusContentType)
		_ = r.WritePrometheus(w)
	})
	return mux
}
