// Command loadtest measures the signer under load (`make bench`) and soaks it
// (`make soak`); see package infra/devtools/loadtest for what it measures and how.
//
//	loadtest bench [flags]   floor and signer routes side by side; markdown on
//	                         stdout, JSON and markdown in -out
//	loadtest soak [flags]    one long mixed load; fails unless every answer is
//	                         2xx, nothing errs and RSS settles
//	loadtest profile [flags] CPU profile of a profiling build of the signer
//	                         (-tags pprof) under one scenario's load
//	loadtest floor [flags]   the fixed-response floor server (bench runs it)
//	loadtest sdk-peer [flags] the aws-sdk-go-v2 PresignClient peer (bench runs it)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/s3presign/s3presign/infra/devtools/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: loadtest bench|soak|profile|floor|sdk-peer|image [flags]   (loadtest <command> -h lists the flags)
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	switch cmd, rest := args[1], args[2:]; cmd {
	case "bench":
		return bench(ctx, rest, getenv, stdout, stderr)
	case "soak":
		return soak(ctx, rest, getenv, stdout, stderr)
	case "profile":
		return profile(ctx, rest, getenv, stdout, stderr)
	case "floor":
		return floor(ctx, rest, stderr)
	case "sdk-peer":
		return sdkPeer(ctx, rest, getenv, stderr)
	case "image":
		return image(ctx, rest, stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// envList collects repeated -env NAME=value flags.
type envList []string

func (e *envList) String() string { return strings.Join(*e, ",") }

func (e *envList) Set(v string) error {
	if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
		return fmt.Errorf("%q is not NAME=value", v)
	}
	*e = append(*e, v)
	return nil
}

// common are the flags bench and soak share.
type common struct {
	signer, wrk, out     string
	report, commit       string
	threads, connections int
	duration             time.Duration
	env                  envList
}

func (c *common) register(fs *flag.FlagSet, getenv func(string) string, duration time.Duration) {
	binDir := getenv("S3PRESIGN_BIN_DIR")
	if binDir == "" {
		binDir = ".bin"
	}
	fs.StringVar(&c.signer, "signer", filepath.Join(binDir, "signer"), "signer binary (built by `make build`)")
	fs.StringVar(&c.wrk, "wrk", "wrk", "wrk binary")
	fs.StringVar(&c.out, "out", ".artifacts/bench", "folder for the JSON and markdown reports and the wrk scripts")
	fs.IntVar(&c.threads, "threads", 2, "wrk threads")
	fs.IntVar(&c.connections, "connections", 64, "wrk connections")
	fs.DurationVar(&c.duration, "duration", duration, "length of each measured run (whole seconds)")
	fs.StringVar(&c.report, "report", "", "markdown report file whose section for this command is replaced (e.g. infra/devtools/loadtest/REPORT.md); empty: none")
	fs.StringVar(&c.commit, "commit", "", "the commit measured (git describe), named in the report")
	fs.Var(&c.env, "env", "signer setting NAME=value added or replaced (repeatable), e.g. -env S3PRESIGN_LOG_LEVEL=warn")
}

func bench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, getenv, 10*time.Second)
	warmup := fs.Duration("warmup", time.Second, "unmeasured run before each measured run, same process (0: none)")
	runs := fs.Int("runs", 3, "rounds; each row is the median of its runs")
	starts := fs.Int("starts", 10, "signer starts timed from exec to /readyz 200 (0: skip)")
	scenarios := fs.String("scenarios", strings.Join(loadtest.Scenarios, ","), "scenarios to run")
	micro := fs.String("micro", "", "file with `go test -bench -benchmem` output to include (e.g. the presign benchmarks)")
	express := fs.String("express", "", "the Express baseline's server.js (run with node from PATH); empty skips it")
	imageTag := fs.String("image", "", "the signer image's tag in podman's store (make image) to measure; empty skips it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var expressCmd []string
	if *express != "" {
		node, err := exec.LookPath("node")
		if err != nil {
			return fmt.Errorf("-express needs node: %w", err)
		}
		script, err := filepath.Abs(*express)
		if err != nil {
			return err
		}
		expressCmd = []string{node, script}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	rep, err := loadtest.Bench(ctx, loadtest.BenchConfig{
		SignerBin: c.signer, FloorCommand: []string{exe, "floor"}, SDKPeerCommand: []string{exe, "sdk-peer"},
		ExpressCommand: expressCmd, WrkBin: c.wrk, Commit: c.commit,
		Duration: c.duration, Warmup: *warmup, Threads: c.threads, Connections: c.connections,
		Runs: *runs, Starts: *starts, Image: *imageTag, Scenarios: strings.Split(*scenarios, ","),
		SignerEnv: c.env, ScriptDir: c.out, Progress: stderr,
	})
	if err != nil {
		if rep != nil && len(rep.Runs) > 0 {
			_ = loadtest.WriteJSON(filepath.Join(c.out, "bench-failed.json"), rep)
		}
		return err
	}
	if *micro != "" {
		b, err := os.ReadFile(*micro)
		if err != nil {
			return err
		}
		rep.Micro = loadtest.ParseGoBench(string(b))
	}
	rep.Targets = loadtest.CheckTargets(rep)
	if err := loadtest.WriteJSON(filepath.Join(c.out, "bench.json"), rep); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(c.out, "bench.md"))
	if err != nil {
		return err
	}
	defer f.Close()
	var md strings.Builder
	if err := rep.Markdown(io.MultiWriter(stdout, f, &md)); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "reports: %s, %s\n", filepath.Join(c.out, "bench.json"), filepath.Join(c.out, "bench.md"))
	if err := writeReport(c.report, "bench", md.String(), stderr); err != nil {
		return err
	}
	return f.Close()
}

// writeReport replaces the command's section of the report file, if any.
func writeReport(path, section, markdown string, stderr io.Writer) error {
	if path == "" {
		return nil
	}
	if err := loadtest.WriteReportSection(path, section, markdown); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s section of %s replaced\n", section, path)
	return nil
}

func soak(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, getenv, 5*time.Minute)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	res, err := loadtest.Soak(ctx, loadtest.SoakConfig{
		SignerBin: c.signer, WrkBin: c.wrk, Duration: c.duration, Threads: c.threads,
		Connections: c.connections, SignerEnv: c.env, ScriptDir: c.out, Progress: stderr,
	})
	if err != nil {
		return err
	}
	if err := loadtest.WriteJSON(filepath.Join(c.out, "soak.json"), res); err != nil {
		return err
	}
	var md strings.Builder
	if err := res.Markdown(io.MultiWriter(stdout, &md)); err != nil {
		return err
	}
	text := md.String()
	if c.commit != "" {
		text += "\nCommit: `" + c.commit + "`.\n"
	}
	if err := writeReport(c.report, "soak", text, stderr); err != nil {
		return err
	}
	return res.Err()
}

func profile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest profile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, getenv, 10*time.Second)
	scenario := fs.String("scenario", loadtest.ScenarioUpload, "signer scenario to profile: upload, download or upload-auth")
	if err := fs.Parse(args); err != nil {
		return err
	}
	out := filepath.Join(c.out, *scenario+".pprof")
	w, err := loadtest.Profile(ctx, loadtest.BenchConfig{
		SignerBin: c.signer, WrkBin: c.wrk, Duration: c.duration, Warmup: time.Second,
		Threads: c.threads, Connections: c.connections, SignerEnv: c.env, ScriptDir: c.out, Progress: stderr,
	}, *scenario, out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s under load: %.0f req/s, p99 %.2f ms; CPU profile: %s\n",
		*scenario, w.RequestsPerSecond(), w.LatencyUS.P99/1000, out)
	return err
}

func floor(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest floor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	size := fs.Int("body-size", loadtest.DefaultFloorBodySize, "answer size in bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return loadtest.ServeFloor(ctx, *addr, *size, stderr)
}

func sdkPeer(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest sdk-peer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return loadtest.ServeSDKPeer(ctx, *addr, getenv, stderr)
}

// image measures the signer image (make image runs it): size, platform and
// container start-to-ready, printed and written to OUT/image.json.
func image(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tag := fs.String("image", "localhost/s3presign-signer:dev", "the image's tag in podman's store")
	starts := fs.Int("starts", 5, "container starts timed to /readyz 200")
	out := fs.String("out", ".artifacts/bench", "folder for image.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := loadtest.MeasureImage(ctx, *tag, max(*starts, 1))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := loadtest.WriteJSON(filepath.Join(*out, "image.json"), f); err != nil {
		return err
	}
	_, err = io.WriteString(stdout, f.Markdown())
	return err
}
