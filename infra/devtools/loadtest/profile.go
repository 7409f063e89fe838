package loadtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// PprofAddrEnv is the variable that makes a profiling build of the signer
// (go build -tags pprof; see signer/pprof.go) serve net/http/pprof.
const PprofAddrEnv = "S3PRESIGN_PPROF_ADDR"

// Profile runs one signer scenario, as Bench does, on a profiling build of
// the signer and writes a CPU profile of the measured run (less its first
// and last half second) to outPath. cfg.SignerBin must be built with
// -tags pprof.
func Profile(ctx context.Context, cfg BenchConfig, scenario, outPath string) (WrkResult, error) {
	if scenario == ScenarioFloor {
		return WrkResult{}, fmt.Errorf("profile a signer scenario, not %s", scenario)
	}
	if cfg.Duration < 2*time.Second {
		return WrkResult{}, fmt.Errorf("profile: duration %s is under 2s", cfg.Duration)
	}
	key, size, err := probe(ctx, cfg)
	if err != nil {
		return WrkResult{}, err
	}
	var k APIKey
	if scenario == ScenarioUploadAuth {
		if k, err = NewAPIKey(ctx, cfg.SignerBin); err != nil {
			return WrkResult{}, err
		}
	}
	port, err := freePort()
	if err != nil {
		return WrkResult{}, err
	}
	pprofAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cfg.SignerEnv = append(slices.Clone(cfg.SignerEnv), PprofAddrEnv+"="+pprofAddr)
	pc, req, want, err := scenarioSetup(cfg, scenario, size, key, k)
	if err != nil {
		return WrkResult{}, err
	}
	p, err := Start(ctx, pc)
	if err != nil {
		return WrkResult{}, err
	}
	defer p.Stop()
	base := "http://" + p.Addr
	if err := expectStatus(ctx, base, req, want); err != nil {
		return WrkResult{}, fmt.Errorf("preflight: %w", err)
	}
	if status, _, err := Exchange(ctx, "http://"+pprofAddr, Request{Method: http.MethodGet, Path: "/debug/pprof/"}); err != nil || status != http.StatusOK {
		return WrkResult{}, fmt.Errorf("no pprof on %s (got %d, %v): build the signer with -tags pprof", pprofAddr, status, err)
	}
	wc := WrkConfig{Bin: cfg.WrkBin, BaseURL: base, Threads: cfg.Threads, Connections: cfg.Connections,
		Requests: []Request{req}, ScriptDir: cfg.ScriptDir, Duration: max(cfg.Warmup, time.Second)}
	if _, _, err := RunWrk(ctx, wc); err != nil {
		return WrkResult{}, fmt.Errorf("warm-up: %w", err)
	}

	seconds := int((cfg.Duration - time.Second) / time.Second)
	profc := make(chan error, 1)
	go func() {
		select {
		case <-time.After(500 * time.Millisecond): // let wrk connect first
		case <-ctx.Done():
			profc <- ctx.Err()
			return
		}
		profc <- fetchProfile(ctx, "http://"+pprofAddr+"/debug/pprof/profile?seconds="+strconv.Itoa(seconds), outPath)
	}()
	wc.Duration = cfg.Duration
	w, _, err := RunWrk(ctx, wc)
	if perr := <-profc; err == nil {
		err = perr
	}
	return w, err
}

func fetchProfile(ctx context.Context, url, outPath string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(outPath), 0o755); err != nil {
		return err
	}
	f, err := os.Create(outPath)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before the signer binds it; Start then fails and says so.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
