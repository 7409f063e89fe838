package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/s3presign/s3presign/signer/config"
)

// Scenario names, in the order a round runs them.
const (
	ScenarioFloor      = "floor"
	ScenarioUpload     = "upload"
	ScenarioDownload   = "download"
	ScenarioUploadAuth = "upload-auth"
	// ScenarioCompatUpload is the original server's upload route, which the
	// signer keeps for migrating clients.
	ScenarioCompatUpload = "compat-upload"
	// ScenarioSDKPeer is the same request against a Go peer that signs with
	// aws-sdk-go-v2's PresignClient behind the floor's minimal handler
	// (ServeSDKPeer): what the library alone costs on this machine.
	ScenarioSDKPeer = "sdk-peer"
	// ScenarioExpress is the same request against the original design's
	// server (Node + Express + aws-sdk v2, infra/devtools/loadtest/_express).
	ScenarioExpress = "express"
)

// Scenarios lists every scenario Bench knows.
var Scenarios = []string{ScenarioFloor, ScenarioUpload, ScenarioDownload, ScenarioUploadAuth, ScenarioCompatUpload, ScenarioSDKPeer, ScenarioExpress}

// BenchConfig is one `make bench` run.
type BenchConfig struct {
	// SignerBin is the signer binary (built by signer/build.sh).
	SignerBin string
	// FloorCommand runs the floor server: the harness appends
	// "-addr 127.0.0.1:0 -body-size N" (see ServeFloor).
	FloorCommand []string
	// SDKPeerCommand runs the aws-sdk-go-v2 peer: the harness appends
	// "-addr 127.0.0.1:0" (see ServeSDKPeer); nil skips its scenario.
	SDKPeerCommand []string
	// ExpressCommand runs the Express baseline, e.g. node
	// infra/devtools/loadtest/_express/server.js; nil skips its scenario.
	ExpressCommand []string
	// WrkBin is the wrk binary ("" means wrk from PATH).
	WrkBin string
	// Duration is each measured run; Warmup a run before it on the same
	// process that is not measured (0: none).
	Duration, Warmup time.Duration
	// Threads and Connections are wrk's -t and -c.
	Threads, Connections int
	// Runs is how many rounds run; each row is the median of its runs.
	Runs int
	// Starts is how many times the signer is started to time start-to-ready.
	Starts int
	// Image is the signer image's tag in podman's store (`make image`),
	// measured with Starts container starts; "" skips it.
	Image string
	// Scenarios to run (nil: all, see Scenarios).
	Scenarios []string
	// SignerEnv adds or replaces signer settings ("NAME=value").
	SignerEnv []string
	// ScriptDir keeps the generated wrk scripts ("" means a temporary folder).
	ScriptDir string
	// Progress receives one line per step (nil: discarded).
	Progress io.Writer
	// Commit names the source measured (git describe), for the report.
	Commit string
}

// RunResult is one measured run of one scenario.
type RunResult struct {
	Scenario string    `json:"scenario"`
	Round    int       `json:"round"`
	Wrk      WrkResult `json:"wrk"`
	// ServerCPUSeconds is the server's utime+stime over the measured run.
	ServerCPUSeconds float64 `json:"server_cpu_s"`
	// PeakRSSBytes is the server's VmHWM after the run (warm-up included).
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// RSSBytes is the server's VmRSS after the run.
	RSSBytes int64 `json:"rss_bytes"`
	// LoadAvg is /proc/loadavg's 1-minute figure after the run.
	LoadAvg float64    `json:"load_avg_1m"`
	Logs    LogSummary `json:"server_log"`
	// ExitError is set when the server did not exit 0 on SIGTERM.
	ExitError string `json:"exit_error,omitempty"`
}

// Row is a scenario's summary over its runs: medians, and the worst peak RSS
// and total errors.
type Row struct {
	Scenario string `json:"scenario"`
	// What names the route or server under load.
	What string `json:"what"`
	Runs int    `json:"runs"`

	RequestsPerSecond float64 `json:"requests_per_second"`
	P50ms             float64 `json:"p50_ms"`
	P99ms             float64 `json:"p99_ms"`
	P999ms            float64 `json:"p99_9_ms"`
	// SocketErrors are wrk's connect, read, write and timeout errors.
	SocketErrors int64 `json:"socket_errors"`
	// StatusErrors are answers with status > 399.
	StatusErrors int64 `json:"status_errors"`
	// LogErrors are server log lines at level ERROR.
	LogErrors    int64   `json:"log_errors"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	CPUPer10k    float64 `json:"server_cpu_s_per_10k"`
	PerCPUSecond float64 `json:"requests_per_cpu_second"`
	// FloorRatio is PerCPUSecond over the floor's (0 when no floor ran).
	FloorRatio float64 `json:"ratio_to_floor,omitempty"`
}

// BenchReport is everything one Bench run measured.
type BenchReport struct {
	Started  time.Time       `json:"started"`
	Machine  Machine         `json:"machine"`
	Settings BenchSettings   `json:"settings"`
	Rows     []Row           `json:"rows"`
	Runs     []RunResult     `json:"runs"`
	Startup  *StartupResult  `json:"startup,omitempty"`
	Image    *ImageFigures   `json:"image,omitempty"`
	Micro    []MicroResult   `json:"micro,omitempty"`
	Targets  []TargetCheck   `json:"targets,omitempty"`
	Notes    []string        `json:"notes,omitempty"`
	LoadAvg  LoadAvgBrackets `json:"load_avg"`
}

// BenchSettings records how the figures were taken.
type BenchSettings struct {
	Wrk           string  `json:"wrk"`
	Signer        string  `json:"signer"`
	Commit        string  `json:"commit,omitempty"`
	Threads       int     `json:"threads"`
	Connections   int     `json:"connections"`
	DurationS     float64 `json:"duration_s"`
	WarmupS       float64 `json:"warmup_s"`
	Runs          int     `json:"runs"`
	FloorBodySize int     `json:"floor_body_bytes"`
	APIKeySource  string  `json:"api_key_source,omitempty"`
	// Express names the Express baseline's versions when it ran.
	Express   string   `json:"express,omitempty"`
	SignerEnv []string `json:"signer_env_overrides,omitempty"`
}

// LoadAvgBrackets are the 1-, 5- and 15-minute load averages before and
// after the whole run.
type LoadAvgBrackets struct {
	Before string `json:"before"`
	After  string `json:"after"`
}

// Bench runs every scenario Runs times, interleaved (floor, upload, ... then
// again), each run on a fresh server process, and summarises them.
func Bench(ctx context.Context, cfg BenchConfig) (*BenchReport, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	if cfg.Runs < 1 {
		cfg.Runs = 1
	}
	scenarios, err := checkScenarios(cfg.Scenarios)
	if err != nil {
		return nil, err
	}
	rep, err := newBenchReport(ctx, cfg)
	if err != nil {
		return nil, err
	}

	// Probe: one signer in mode none gives the download key and the size
	// of an upload answer (the floor answers as many bytes).
	fmt.Fprintf(progress, "probe: signer in auth mode none\n")
	key, size, err := probe(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rep.Settings.FloorBodySize = size
	scenarios, apiKey, err := prepareScenarios(ctx, cfg, rep, scenarios, progress)
	if err != nil {
		return nil, err
	}

	for round := 1; round <= cfg.Runs; round++ {
		for _, s := range scenarios {
			fmt.Fprintf(progress, "round %d/%d: %s (load average %s)\n", round, cfg.Runs, s, loadAvg())
			r, err := runScenario(ctx, cfg, s, round, size, key, apiKey)
			if err != nil {
				return rep, fmt.Errorf("%s, round %d: %w", s, round, err)
			}
			rep.Runs = append(rep.Runs, r)
		}
	}
	rep.Rows = summarise(scenarios, rep.Runs, size)
	if err := measureStarts(ctx, cfg, rep, progress); err != nil {
		return rep, err
	}
	rep.LoadAvg.After = loadAvg()
	return rep, nil
}

// checkScenarios returns the scenarios to run (all when none is named),
// refusing an unknown one.
func checkScenarios(named []string) ([]string, error) {
	if len(named) == 0 {
		return Scenarios, nil
	}
	for _, s := range named {
		if !slices.Contains(Scenarios, s) {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", s, strings.Join(Scenarios, ", "))
		}
	}
	return named, nil
}

// newBenchReport is the report's head: when, on what machine, with which
// versions and settings.
func newBenchReport(ctx context.Context, cfg BenchConfig) (*BenchReport, error) {
	signerVersion, err := signerVersion(ctx, cfg.SignerBin)
	if err != nil {
		return nil, err
	}
	wrkVersion, err := WrkVersion(cfg.WrkBin)
	if err != nil {
		return nil, err
	}
	return &BenchReport{
		Started: time.Now().UTC(),
		Machine: ReadMachine(),
		Settings: BenchSettings{
			Wrk: wrkVersion, Signer: signerVersion, Commit: cfg.Commit,
			Threads: cfg.Threads, Connections: cfg.Connections,
			DurationS: cfg.Duration.Seconds(), WarmupS: cfg.Warmup.Seconds(), Runs: cfg.Runs,
			SignerEnv: cfg.SignerEnv,
		},
		LoadAvg: LoadAvgBrackets{Before: loadAvg()},
	}, nil
}

// prepareScenarios drops the scenarios that cannot run here (with a note in
// the report saying why), records the Express versions, and makes the API
// key the authenticated scenario uses.
func prepareScenarios(ctx context.Context, cfg BenchConfig, rep *BenchReport, scenarios []string, progress io.Writer) ([]string, APIKey, error) {
	var apiKey APIKey
	drop := func(scenario, why string) {
		rep.Notes = append(rep.Notes, scenario+" skipped: "+why)
		scenarios = slices.DeleteFunc(slices.Clone(scenarios), func(s string) bool { return s == scenario })
	}
	if slices.Contains(scenarios, ScenarioExpress) && len(cfg.ExpressCommand) == 0 {
		drop(ScenarioExpress, "no Express baseline given (make bench installs it unless EXPRESS=0)")
	}
	if slices.Contains(scenarios, ScenarioSDKPeer) && len(cfg.SDKPeerCommand) == 0 {
		drop(ScenarioSDKPeer, "no SDK peer command given")
	}
	if slices.Contains(scenarios, ScenarioExpress) {
		var err error
		if rep.Settings.Express, err = expressVersions(ctx, cfg.ExpressCommand); err != nil {
			return nil, apiKey, err
		}
	}
	if slices.Contains(scenarios, ScenarioUploadAuth) {
		var err error
		if apiKey, err = NewAPIKey(ctx, cfg.SignerBin); err != nil {
			return nil, apiKey, err
		}
		rep.Settings.APIKeySource = apiKey.Source
		if note := checkAuthWired(ctx, cfg, apiKey); note != "" {
			fmt.Fprintf(progress, "skipping %s: %s\n", ScenarioUploadAuth, note)
			drop(ScenarioUploadAuth, note)
		}
	}
	return scenarios, apiKey, nil
}

// measureStarts times cfg.Starts starts of the signer binary and, with
// cfg.Image, of its container.
func measureStarts(ctx context.Context, cfg BenchConfig, rep *BenchReport, progress io.Writer) error {
	if cfg.Starts > 0 {
		fmt.Fprintf(progress, "start-to-ready: %d starts\n", cfg.Starts)
		pc, err := signerProcess(cfg, AuthNone, "")
		if err != nil {
			return err
		}
		st, err := MeasureStartup(ctx, pc, cfg.Starts)
		if err != nil {
			return err
		}
		rep.Startup = &st
	}
	if cfg.Image != "" {
		fmt.Fprintf(progress, "image: %s, %d container starts\n", cfg.Image, max(cfg.Starts, 1))
		img, err := MeasureImage(ctx, cfg.Image, max(cfg.Starts, 1))
		if err != nil {
			return fmt.Errorf("image %s: %w", cfg.Image, err)
		}
		rep.Image = &img
	}
	return nil
}

// signerProcess is how the harness starts the signer in the given auth mode,
// on a free loopback port chosen here (so that the address is known whatever
// the log level).
func signerProcess(cfg BenchConfig, mode, apiKeys string) (ProcessConfig, error) {
	port, err := freePort()
	if err != nil {
		return ProcessConfig{}, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return ProcessConfig{
		Name:      "signer",
		Path:      cfg.SignerBin,
		Args:      []string{"serve"},
		Env:       SignerEnv(mode, apiKeys, append(slices.Clone(cfg.SignerEnv), config.EnvListenAddr+"="+addr)),
		Addr:      addr,
		ReadyPath: "/readyz",
	}, nil
}

// startSigner starts the signer in the given auth mode.
func startSigner(ctx context.Context, cfg BenchConfig, mode, apiKeys string) (*Process, error) {
	pc, err := signerProcess(cfg, mode, apiKeys)
	if err != nil {
		return nil, err
	}
	return Start(ctx, pc)
}

// checkAuthWired starts the signer in mode apikey and checks that an upload
// without the key is refused with 401 and one with it gets 201. It returns
// why the auth runs cannot run, or "".
func checkAuthWired(ctx context.Context, cfg BenchConfig, k APIKey) string {
	p, err := startSigner(ctx, cfg, AuthAPIKey, apiKeyLine(k))
	if err != nil {
		return "the signer does not start in auth mode apikey: " + oneLine(err.Error())
	}
	defer p.Stop()
	base := "http://" + p.Addr
	status, _, err := Exchange(ctx, base, UploadRequest(""))
	switch {
	case err != nil:
		return err.Error()
	case status == http.StatusCreated:
		return "auth is not wired into the signer yet (in mode apikey an upload without a key got 201)"
	case status != http.StatusUnauthorized:
		return fmt.Sprintf("in mode apikey an upload without a key got %d, want 401", status)
	}
	if _, _, err := probeUpload(ctx, base, UploadRequest(k.Key)); err != nil {
		return "an upload with the API key failed: " + err.Error()
	}
	return ""
}

// apiKeyLine is the hash line with the caller's own rate limit raised as far
// as it goes, so that the load is not answered 429.
func apiKeyLine(k APIKey) string { return k.HashLine + ":" + unthrottled + ":" + unthrottled }

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// probe starts the signer in mode none once and sends an upload: the
// download runs use its key, and the floor answers as many bytes as it got.
func probe(ctx context.Context, cfg BenchConfig) (key string, size int, err error) {
	p, err := startSigner(ctx, cfg, AuthNone, "")
	if err != nil {
		return "", 0, err
	}
	key, size, err = probeUpload(ctx, "http://"+p.Addr, UploadRequest(""))
	if stopErr := p.Stop(); err == nil {
		err = stopErr
	}
	if err != nil {
		return "", 0, fmt.Errorf("probe: %w", err)
	}
	return key, size, nil
}

// scenarioSetup returns the server to start for a scenario, the request to
// load it with and the status that request must get.
func scenarioSetup(cfg BenchConfig, scenario string, floorSize int, key string, k APIKey) (ProcessConfig, Request, int, error) {
	switch scenario {
	case ScenarioFloor:
		if len(cfg.FloorCommand) == 0 {
			return ProcessConfig{}, Request{}, 0, errors.New("no floor command")
		}
		pc := ProcessConfig{Name: "floor", Path: cfg.FloorCommand[0], ReadyPath: "/readyz",
			Args: append(slices.Clone(cfg.FloorCommand[1:]), "-addr", "127.0.0.1:0", "-body-size", strconv.Itoa(floorSize))}
		return pc, UploadRequest(""), http.StatusOK, nil
	case ScenarioUpload:
		pc, err := signerProcess(cfg, AuthNone, "")
		return pc, UploadRequest(""), http.StatusCreated, err
	case ScenarioDownload:
		pc, err := signerProcess(cfg, AuthNone, "")
		return pc, DownloadRequest(key), http.StatusOK, err
	case ScenarioUploadAuth:
		pc, err := signerProcess(cfg, AuthAPIKey, apiKeyLine(k))
		return pc, UploadRequest(k.Key), http.StatusCreated, err
	case ScenarioCompatUpload:
		pc, err := signerProcess(cfg, AuthNone, "")
		return pc, compatUpload, http.StatusOK, err
	case ScenarioSDKPeer:
		if len(cfg.SDKPeerCommand) == 0 {
			return ProcessConfig{}, Request{}, 0, errors.New("no SDK peer command")
		}
		pc := ProcessConfig{Name: "sdk-peer", Path: cfg.SDKPeerCommand[0], ReadyPath: "/readyz", Env: ExpressEnv(),
			Args: append(slices.Clone(cfg.SDKPeerCommand[1:]), "-addr", "127.0.0.1:0")}
		return pc, compatUpload, http.StatusOK, nil
	case ScenarioExpress:
		if len(cfg.ExpressCommand) == 0 {
			return ProcessConfig{}, Request{}, 0, errors.New("no Express command")
		}
		pc := ProcessConfig{Name: "express", Path: cfg.ExpressCommand[0], Args: cfg.ExpressCommand[1:],
			Env: ExpressEnv(), ReadyPath: "/readyz", Timeout: 30 * time.Second}
		return pc, compatUpload, http.StatusOK, nil
	}
	return ProcessConfig{}, Request{}, 0, fmt.Errorf("unknown scenario %q", scenario)
}

// runScenario measures one run of one scenario on a fresh server.
func runScenario(ctx context.Context, cfg BenchConfig, scenario string, round, floorSize int, key string, k APIKey) (RunResult, error) {
	res := RunResult{Scenario: scenario, Round: round}
	pc, req, want, err := scenarioSetup(cfg, scenario, floorSize, key, k)
	if err != nil {
		return res, err
	}
	p, err := Start(ctx, pc)
	if err != nil {
		return res, err
	}
	// Stops the server on an early return; after the Stop below it only
	// repeats that Stop's answer.
	defer p.Stop()
	base := "http://" + p.Addr
	if err := expectStatus(ctx, base, req, want); err != nil {
		return res, fmt.Errorf("preflight: %w", err)
	}
	wc := WrkConfig{Bin: cfg.WrkBin, BaseURL: base, Threads: cfg.Threads, Connections: cfg.Connections,
		Requests: []Request{req}, ScriptDir: cfg.ScriptDir}
	if cfg.Warmup > 0 {
		wc.Duration = max(cfg.Warmup, time.Second)
		if _, _, err := RunWrk(ctx, wc); err != nil {
			return res, fmt.Errorf("warm-up: %w", err)
		}
	}
	wc.Duration = cfg.Duration
	before, err := ReadProc(p.Pid())
	if err != nil {
		return res, err
	}
	w, _, err := RunWrk(ctx, wc)
	if err != nil {
		return res, err
	}
	after, err := ReadProc(p.Pid())
	if err != nil {
		return res, err
	}
	res.Wrk = w
	res.ServerCPUSeconds = (after.CPU - before.CPU).Seconds()
	res.PeakRSSBytes, res.RSSBytes = after.HWM, after.RSS
	res.LoadAvg = loadAvg1()
	if err := p.Stop(); err != nil {
		res.ExitError = err.Error()
	}
	res.Logs = p.Logs()
	return res, nil
}

// summarise makes one row per scenario from its runs.
func summarise(scenarios []string, runs []RunResult, floorSize int) []Row {
	var rows []Row
	for _, s := range scenarios {
		var rps, p50, p99, p999, cpu10k, perCPU []float64
		row := Row{Scenario: s, What: scenarioWhat(s, floorSize)}
		for _, r := range runs {
			if r.Scenario != s {
				continue
			}
			row.Runs++
			rps = append(rps, r.Wrk.RequestsPerSecond())
			p50 = append(p50, r.Wrk.LatencyUS.P50/1000)
			p99 = append(p99, r.Wrk.LatencyUS.P99/1000)
			p999 = append(p999, r.Wrk.LatencyUS.P999/1000)
			if r.Wrk.Requests > 0 && r.ServerCPUSeconds > 0 {
				cpu10k = append(cpu10k, r.ServerCPUSeconds/float64(r.Wrk.Requests)*1e4)
				perCPU = append(perCPU, float64(r.Wrk.Requests)/r.ServerCPUSeconds)
			}
			row.SocketErrors += r.Wrk.Errors.Socket()
			row.StatusErrors += r.Wrk.Errors.Status
			row.LogErrors += r.Logs.Errors
			row.PeakRSSMiB = max(row.PeakRSSMiB, float64(r.PeakRSSBytes)/(1<<20))
		}
		row.RequestsPerSecond, row.P50ms, row.P99ms, row.P999ms = median(rps), median(p50), median(p99), median(p999)
		row.CPUPer10k, row.PerCPUSecond = median(cpu10k), median(perCPU)
		rows = append(rows, row)
	}
	var floor float64
	for _, r := range rows {
		if r.Scenario == ScenarioFloor {
			floor = r.PerCPUSecond
		}
	}
	if floor > 0 {
		for i := range rows {
			rows[i].FloorRatio = rows[i].PerCPUSecond / floor
		}
	}
	return rows
}

func scenarioWhat(s string, floorSize int) string {
	switch s {
	case ScenarioFloor:
		return fmt.Sprintf("net/http, fixed %d-byte answer", floorSize)
	case ScenarioUpload:
		return "POST /v1/uploads"
	case ScenarioDownload:
		return "POST /v1/downloads"
	case ScenarioUploadAuth:
		return "POST /v1/uploads, API key, declared size"
	case ScenarioCompatUpload:
		return "GET /signed-url-upload"
	case ScenarioSDKPeer:
		return "GET /signed-url-upload, Go + aws-sdk-go-v2 PresignClient, no validation or logging"
	case ScenarioExpress:
		return "GET /signed-url-upload, Express + aws-sdk v2"
	}
	return s
}

// median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// signerVersion runs `signer -version`.
func signerVersion(ctx context.Context, bin string) (string, error) {
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("signer binary: %w (build it with `make build`)", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-version").Output()
	if err != nil {
		return "", fmt.Errorf("%s -version: %w", bin, err)
	}
	return strings.TrimSpace(string(out)), nil
}
