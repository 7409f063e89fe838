package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"
)

// SettleTolerance is how far the last quarter's mean RSS may be from the
// second quarter's for RSS to count as settled (a leak grows steadily; a
// settled heap moves a few percent either way).
const SettleTolerance = 0.10

// SoakConfig is one soak: a long mixed load on one signer process.
type SoakConfig struct {
	// SignerBin is the signer binary; WrkBin wrk ("" means from PATH).
	SignerBin, WrkBin string
	// Duration, Threads and Connections are wrk's -d, -t and -c.
	Duration             time.Duration
	Threads, Connections int
	// SignerEnv adds or replaces signer settings ("NAME=value").
	SignerEnv []string
	// ScriptDir keeps the generated wrk script ("" means a temporary folder).
	ScriptDir string
	// Progress receives one line per step (nil: discarded).
	Progress io.Writer
}

// SoakResult is what a soak measured and whether it passed.
type SoakResult struct {
	Started     time.Time       `json:"started"`
	Machine     Machine         `json:"machine"`
	Wrk         string          `json:"wrk_version"`
	Signer      string          `json:"signer"`
	Threads     int             `json:"threads"`
	Connections int             `json:"connections"`
	DurationS   float64         `json:"duration_s"`
	Requests    []Request       `json:"requests"`
	Result      WrkResult       `json:"result"`
	LoadAvg     LoadAvgBrackets `json:"load_avg"`

	ServerCPUSeconds float64 `json:"server_cpu_s"`
	PeakRSSBytes     int64   `json:"peak_rss_bytes"`
	// RSSMiB is VmRSS sampled every second during the load.
	RSSMiB []float64 `json:"rss_mib"`
	Settle Settle    `json:"settle"`

	Logs      LogSummary `json:"server_log"`
	ExitError string     `json:"exit_error,omitempty"`
	// Failures lists every broken expectation; empty means passed.
	Failures []string `json:"failures"`
}

// Err joins the failures (nil when the soak passed).
func (r *SoakResult) Err() error {
	var errs []error
	for _, f := range r.Failures {
		errs = append(errs, errors.New(f))
	}
	return errors.Join(errs...)
}

// Settle compares the mean RSS of the second and last quarters of a run.
type Settle struct {
	Q2MeanMiB float64 `json:"q2_mean_mib"`
	Q4MeanMiB float64 `json:"q4_mean_mib"`
	// Change is Q4/Q2 - 1.
	Change float64 `json:"change"`
	OK     bool    `json:"ok"`
}

// CheckSettle splits samples into quarters and compares the means of the
// second and the last; it needs at least 8 samples.
func CheckSettle(samples []float64) (Settle, error) {
	n := len(samples)
	if n < 8 {
		return Settle{}, fmt.Errorf("%d RSS samples; need at least 8 (a run of 8 s or more)", n)
	}
	q := n / 4
	mean := func(xs []float64) float64 {
		var s float64
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	st := Settle{Q2MeanMiB: mean(samples[q : 2*q]), Q4MeanMiB: mean(samples[n-q:])}
	st.Change = st.Q4MeanMiB/st.Q2MeanMiB - 1
	st.OK = math.Abs(st.Change) <= SettleTolerance
	return st, nil
}

// Soak starts the signer, sends a mix of valid requests to every URL route
// for the whole duration, and checks: no socket errors or timeouts, every
// answer 2xx, no ERROR in the server log, RSS settled, exit 0 on SIGTERM.
// An error means the soak could not run; failed checks are in Failures.
func Soak(ctx context.Context, cfg SoakConfig) (*SoakResult, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	signerVersion, err := signerVersion(ctx, cfg.SignerBin)
	if err != nil {
		return nil, err
	}
	wrkVersion, err := WrkVersion(cfg.WrkBin)
	if err != nil {
		return nil, err
	}
	res := &SoakResult{
		Started: time.Now().UTC(), Machine: ReadMachine(), Wrk: wrkVersion, Signer: signerVersion,
		Threads: cfg.Threads, Connections: cfg.Connections, DurationS: cfg.Duration.Seconds(),
		LoadAvg:  LoadAvgBrackets{Before: loadAvg()},
		Failures: []string{},
	}
	p, err := startSigner(ctx, BenchConfig{SignerBin: cfg.SignerBin, SignerEnv: cfg.SignerEnv}, AuthNone, "")
	if err != nil {
		return nil, err
	}
	// Stops the server on an early return; after the Stop below it only
	// repeats that Stop's answer.
	defer p.Stop()
	base := "http://" + p.Addr
	if res.Requests, err = soakRequests(ctx, base); err != nil {
		return nil, err
	}

	fmt.Fprintf(progress, "soak: %s, %d connections, %d requests in turn (%s)\n",
		cfg.Duration, cfg.Connections, len(res.Requests), routes(res.Requests))
	before, err := ReadProc(p.Pid())
	if err != nil {
		return nil, err
	}
	sampler := StartSampler(p.Pid(), time.Second)
	w, _, wrkErr := RunWrk(ctx, WrkConfig{Bin: cfg.WrkBin, BaseURL: base, Threads: cfg.Threads,
		Connections: cfg.Connections, Duration: cfg.Duration, Requests: res.Requests,
		CountStatus: true, ScriptDir: cfg.ScriptDir})
	samples, sampleErr := sampler.Stop()
	if wrkErr != nil {
		return nil, wrkErr
	}
	if sampleErr != nil {
		return nil, sampleErr
	}
	res.Result = w
	after := samples[len(samples)-1]
	res.ServerCPUSeconds = (after.CPU - before.CPU).Seconds()
	res.PeakRSSBytes = after.HWM
	for _, s := range samples {
		res.RSSMiB = append(res.RSSMiB, math.Round(float64(s.RSS)/(1<<20)*100)/100)
	}
	if err := p.Stop(); err != nil {
		res.ExitError = err.Error()
	}
	res.Logs = p.Logs()
	res.LoadAvg.After = loadAvg()

	res.judge(w)
	return res, nil
}

// soakRequests is the mix of requests the soak sends in turn: an upload, a
// download of a key the preflight wrote, and the compat routes, each checked
// once before the load.
func soakRequests(ctx context.Context, base string) ([]Request, error) {
	key, _, err := probeUpload(ctx, base, UploadRequest(""))
	if err != nil {
		return nil, fmt.Errorf("preflight: %w", err)
	}
	reqs := []Request{UploadRequest(""), DownloadRequest(key), compatUpload, compatAccess}
	for _, r := range reqs[1:] {
		if err := expectStatus(ctx, base, r, http.StatusOK); err != nil {
			return nil, fmt.Errorf("preflight: %w", err)
		}
	}
	return reqs, nil
}

// judge records why the soak failed, if it did: no request, socket errors,
// non-2xx answers, ERROR log lines, an unclean exit or RSS that kept growing.
func (res *SoakResult) judge(w WrkResult) {
	fail := func(format string, args ...any) { res.Failures = append(res.Failures, fmt.Sprintf(format, args...)) }
	if w.Requests == 0 {
		fail("no request completed")
	}
	if e := w.Errors; e.Socket() > 0 {
		fail("socket errors: %d connect, %d read, %d write, %d timeouts", e.Connect, e.Read, e.Write, e.Timeout)
	}
	if w.Non2xx != 0 {
		fail("%d answers were not 2xx (one was %d)", w.Non2xx, w.FirstNon2xxStatus)
	}
	if res.Logs.Errors > 0 {
		fail("%d ERROR lines in the signer's log, first: %s", res.Logs.Errors, first(res.Logs.Notable))
	}
	if res.ExitError != "" {
		fail("exit on SIGTERM: %s", oneLine(res.ExitError))
	}
	if st, err := CheckSettle(res.RSSMiB); err != nil {
		fail("RSS: %v", err)
	} else {
		res.Settle = st
		if !st.OK {
			fail("RSS did not settle: last-quarter mean %.2f MiB vs second-quarter mean %.2f MiB (%+.1f%%, limit ±%.0f%%)",
				st.Q4MeanMiB, st.Q2MeanMiB, st.Change*100, SettleTolerance*100)
		}
	}
}

func routes(reqs []Request) string {
	var s []string
	for _, r := range reqs {
		path, _, _ := strings.Cut(r.Path, "?")
		s = append(s, r.Method+" "+path)
	}
	return strings.Join(s, ", ")
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// Markdown renders the soak's figures and verdict.
func (r *SoakResult) Markdown(w io.Writer) error {
	var b strings.Builder
	verdict := "passed"
	if len(r.Failures) > 0 {
		verdict = "**failed**"
	}
	fmt.Fprintf(&b, "### Soak, %s: %s\n\n", r.Started.Format("2006-01-02 15:04 MST"), verdict)
	fmt.Fprintf(&b, "- Machine: %s. Load average before: %s; after: %s.\n", r.Machine, r.LoadAvg.Before, r.LoadAvg.After)
	fmt.Fprintf(&b, "- Load: `%s`, %d threads, %d connections, %s; requests in turn: %s.\n",
		r.Wrk, r.Threads, r.Connections, secs(r.DurationS), routes(r.Requests))
	fmt.Fprintf(&b, "- Signer: %s.\n\n", r.Signer)
	l := r.Result.LatencyUS
	b.WriteString("| requests | req/s | p50 ms | p99 ms | p99.9 ms | socket errors | non-2xx | ERROR log lines | CPU-s per 10k | peak RSS MiB | RSS Q2 → Q4 mean MiB |\n")
	b.WriteString("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	cpu10k := 0.0
	if r.Result.Requests > 0 {
		cpu10k = r.ServerCPUSeconds / float64(r.Result.Requests) * 1e4
	}
	fmt.Fprintf(&b, "| %d | %.0f | %.2f | %.2f | %.2f | %d | %d | %d | %.3f | %.1f | %.2f → %.2f (%+.1f%%) |\n",
		r.Result.Requests, r.Result.RequestsPerSecond(), l.P50/1000, l.P99/1000, l.P999/1000,
		r.Result.Errors.Socket(), r.Result.Non2xx, r.Logs.Errors, cpu10k, mib(r.PeakRSSBytes),
		r.Settle.Q2MeanMiB, r.Settle.Q4MeanMiB, r.Settle.Change*100)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "\nFailed: %s\n", f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
