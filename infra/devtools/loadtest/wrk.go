package loadtest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed wrk.lua
var wrkScript string

// Request is one HTTP request the load generator sends.
type Request struct {
	Method string `json:"method"`
	// Path includes the query, e.g. "/v1/uploads".
	Path string `json:"path"`
	// Headers are sent as given (wrk lower-cases the names).
	Headers map[string]string `json:"headers,omitempty"`
	// Body is sent with a Content-Length when not empty.
	Body string `json:"body,omitempty"`
}

// WrkConfig is one wrk run.
type WrkConfig struct {
	// Bin is the wrk binary ("wrk": from PATH).
	Bin string
	// BaseURL is scheme://host:port of the server.
	BaseURL string
	// Threads, Connections and Duration are wrk's -t, -c and -d.
	Threads, Connections int
	Duration             time.Duration
	// Timeout is wrk's per-request timeout (answers slower than this count
	// as timeout errors); 0 means 2s.
	Timeout time.Duration
	// Requests are sent in turn on every connection; at least one.
	Requests []Request
	// CountStatus counts non-2xx answers exactly (wrk counts only > 399).
	// It costs the load generator some CPU per answer.
	CountStatus bool
	// ScriptDir holds the generated Lua script; "" means a temporary folder.
	ScriptDir string
}

// WrkErrors are wrk's error counters.
type WrkErrors struct {
	Connect int64 `json:"connect"`
	Read    int64 `json:"read"`
	Write   int64 `json:"write"`
	// Status counts answers with a status above 399.
	Status  int64 `json:"status"`
	Timeout int64 `json:"timeout"`
}

// Socket returns the errors that are not HTTP statuses.
func (e WrkErrors) Socket() int64 { return e.Connect + e.Read + e.Write + e.Timeout }

// WrkLatency is wrk's latency histogram summary, in microseconds.
type WrkLatency struct {
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	Stdev float64 `json:"stdev"`
	Max   float64 `json:"max"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
}

// WrkResult is what one wrk run reports.
type WrkResult struct {
	Requests   int64     `json:"requests"`
	DurationUS int64     `json:"duration_us"`
	Bytes      int64     `json:"bytes"`
	Errors     WrkErrors `json:"errors"`
	// Non2xx counts answers outside 200-299 when CountStatus was set; -1
	// otherwise.
	Non2xx int64 `json:"non2xx"`
	// FirstNon2xxStatus is a status of one such answer (0: none).
	FirstNon2xxStatus int        `json:"first_non2xx_status"`
	LatencyUS         WrkLatency `json:"latency_us"`
	// LoadgenCPUSeconds is wrk's own user+system time (set by RunWrk).
	LoadgenCPUSeconds float64 `json:"loadgen_cpu_s"`
}

// RequestsPerSecond is completed requests over wrk's measured duration.
func (r WrkResult) RequestsPerSecond() float64 {
	if r.DurationUS <= 0 {
		return 0
	}
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

// wrkJSONPrefix starts the line the script's done() prints.
const wrkJSONPrefix = "WRK_JSON "

// RunWrk runs wrk once and returns its figures and its plain output.
func RunWrk(ctx context.Context, c WrkConfig) (WrkResult, string, error) {
	if len(c.Requests) == 0 {
		return WrkResult{}, "", errors.New("wrk: no requests")
	}
	if c.Bin == "" {
		c.Bin = "wrk"
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	if c.Threads < 1 || c.Connections < c.Threads || c.Duration < time.Second {
		return WrkResult{}, "", fmt.Errorf("wrk: want threads >= 1, connections >= threads and duration >= 1s; got %d, %d, %s",
			c.Threads, c.Connections, c.Duration)
	}
	dir := c.ScriptDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "loadtest-wrk-")
		if err != nil {
			return WrkResult{}, "", err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return WrkResult{}, "", err
	}
	script := filepath.Join(dir, "load.lua")
	if err := os.WriteFile(script, []byte(wrkScriptFor(c.Requests, c.CountStatus)), 0o644); err != nil {
		return WrkResult{}, "", err
	}
	args := []string{
		"-t", strconv.Itoa(c.Threads),
		"-c", strconv.Itoa(c.Connections),
		"-d", strconv.Itoa(int(c.Duration.Round(time.Second)/time.Second)) + "s",
		"--timeout", strconv.Itoa(int(c.Timeout.Round(time.Second)/time.Second)) + "s",
		"-s", script,
		c.BaseURL + "/",
	}
	// wrk stops on its own after -d; the context bound is a backstop.
	runCtx, cancel := context.WithTimeout(ctx, c.Duration+c.Timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(runCtx, c.Bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return WrkResult{}, stdout.String(), fmt.Errorf("wrk %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	res, err := parseWrkOutput(stdout.String())
	if ps := cmd.ProcessState; ps != nil {
		res.LoadgenCPUSeconds = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	if err != nil {
		return res, stdout.String(), fmt.Errorf("%w\n%s%s", err, stdout.String(), stderr.String())
	}
	return res, stdout.String(), nil
}

// parseWrkOutput finds and decodes the script's WRK_JSON line.
func parseWrkOutput(out string) (WrkResult, error) {
	for line := range strings.Lines(out) {
		if rest, ok := strings.CutPrefix(line, wrkJSONPrefix); ok {
			var r WrkResult
			dec := json.NewDecoder(strings.NewReader(rest))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil {
				return r, fmt.Errorf("wrk: decoding %q: %w", strings.TrimSpace(rest), err)
			}
			return r, nil
		}
	}
	return WrkResult{}, errors.New("wrk: no " + strings.TrimSpace(wrkJSONPrefix) + " line in its output")
}

// wrkScriptFor puts the requests in front of the embedded script.
func wrkScriptFor(reqs []Request, countStatus bool) string {
	var b strings.Builder
	b.WriteString("-- generated by infra/devtools/loadtest\nrequests = {\n")
	for _, r := range reqs {
		b.WriteString("   {method=" + luaString(r.Method) + ", path=" + luaString(r.Path) + ", headers={")
		names := make([]string, 0, len(r.Headers))
		for n := range r.Headers {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			b.WriteString("[" + luaString(n) + "]=" + luaString(r.Headers[n]) + ", ")
		}
		b.WriteString("}")
		if r.Body != "" {
			b.WriteString(", body=" + luaString(r.Body))
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\ncount_status = " + strconv.FormatBool(countStatus) + "\n\n")
	b.WriteString(wrkScript)
	return b.String()
}

// luaString quotes s as a Lua 5.1 string literal: printable ASCII as is,
// every other byte, quote and backslash as a decimal escape.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "\\%03d", c)
	}
	b.WriteByte('"')
	return b.String()
}

// WrkVersion returns the first line of `wrk --version` (which exits 1).
func WrkVersion(bin string) (string, error) {
	if bin == "" {
		bin = "wrk"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("wrk not found (install it with `make wrk`): %w", err)
	}
	out, _ := exec.Command(path, "--version").CombinedOutput()
	first, _, _ := strings.Cut(string(out), "\n")
	first, _, _ = strings.Cut(first, " Copyright")
	if first = strings.TrimSpace(first); !strings.HasPrefix(first, "wrk ") {
		return "", fmt.Errorf("%s --version printed %q, not a wrk version", path, first)
	}
	return first, nil
}
