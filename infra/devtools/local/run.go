package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/devtools/local/stack"
	"github.com/s3presign/s3presign/signer/reporoot"
)

// Default addresses of `make run`. The page's address is not here: it is the
// environment's allowed origin (http://127.0.0.1:8081 for dev).
const (
	defaultS3Addr     = "127.0.0.1:7070"
	defaultSignerAddr = "127.0.0.1:8080"
	defaultOtherAddr  = "127.0.0.1:8082"
)

// run parses flags, starts the stack, prints where everything is, and waits
// for ctx to end (Ctrl-C) or the signer to die, then stops it all.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	root, err := reporoot.Find()
	if err != nil {
		return err
	}
	f, err := parseFlags(args, root, getenv, stderr)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(f.cdkJSON)
	if err != nil {
		return err
	}
	env, err := config.LoadCDKJSON(raw, f.envName)
	if err != nil {
		return fmt.Errorf("%s: %w", f.cdkJSON, err)
	}
	dir := f.dataDir
	if f.temp {
		dir = ""
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	signerLog, closeLog, err := openSignerLog(dir, f.verbose, stderr)
	if err != nil {
		return err
	}
	defer closeLog()

	fmt.Fprintf(stdout, "s3presign local stack: environment %q from %s\n", env.Name, rel(root, f.cdkJSON))
	st, err := stack.Start(ctx, stack.Options{
		Env: env, DataDir: dir, SignerBin: f.signerBin,
		S3Addr: f.s3Addr, SignerAddr: f.signerAddr, PageAddr: f.pageAddr, OtherPageAddr: f.otherAddr,
		Log: prefixed(stdout, "  "), SignerLog: signerLog, AuthMode: f.authMode,
	})
	if err != nil {
		return err
	}
	printWhere(stdout, root, st, f.temp)
	return waitAndStop(ctx, st, stdout)
}

// runFlags are the command's flags.
type runFlags struct {
	envName, cdkJSON, dataDir               string
	temp, verbose                           bool
	s3Addr, signerAddr, pageAddr, otherAddr string
	signerBin, authMode                     string
}

// parseFlags reads the flags; paths default to the repository's files.
func parseFlags(args []string, root string, getenv func(string) string, stderr io.Writer) (runFlags, error) {
	var f runFlags
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.envName, "env", "dev", "environment in cdk.json whose settings the local stack uses")
	fs.StringVar(&f.cdkJSON, "cdk-json", filepath.Join(root, "cdk.json"), "the CDK app's cdk.json")
	fs.StringVar(&f.dataDir, "data-dir", filepath.Join(root, ".local"), "keeps objects and keys across runs")
	fs.BoolVar(&f.temp, "temp", false, "use a throwaway data directory, removed on exit")
	fs.StringVar(&f.s3Addr, "s3-addr", defaultS3Addr, "versitygw listen address (127.0.0.1:0 picks a free port)")
	fs.StringVar(&f.signerAddr, "signer-addr", defaultSignerAddr, "signer listen address")
	fs.StringVar(&f.pageAddr, "page-addr", "", "upload page address (default: the environment's allowed origin; on another port the origins and referer patterns follow it)")
	fs.StringVar(&f.otherAddr, "other-addr", defaultOtherAddr, "address of the same page on an origin that is NOT allowed")
	binDir := filepath.Join(root, ".bin")
	if d := getenv("S3PRESIGN_BIN_DIR"); d != "" {
		binDir = d
	}
	fs.StringVar(&f.signerBin, "signer-bin", filepath.Join(binDir, "signer"), "signer binary (make build)")
	fs.StringVar(&f.authMode, "auth", "", "auth mode instead of the environment's: none, or apikey (prints a fresh API key once; make run AUTH=apikey)")
	fs.BoolVar(&f.verbose, "v", false, "show the signer's log here as well as in the data directory's signer.log")
	if err := fs.Parse(args[1:]); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return f, nil
}

// openSignerLog is where the signer's output goes: signer.log in dir (none
// when dir is "", a throwaway run) and, with verbose, stderr too. The
// returned function closes the file.
func openSignerLog(dir string, verbose bool, stderr io.Writer) (io.Writer, func(), error) {
	var w io.Writer = io.Discard
	closeLog := func() {}
	if dir != "" {
		f, err := os.OpenFile(filepath.Join(dir, "signer.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, err
		}
		w, closeLog = f, func() { f.Close() }
	}
	if verbose {
		w = io.MultiWriter(w, prefixed(stderr, "signer | "))
	}
	return w, closeLog, nil
}

// printWhere prints the addresses, where data and logs are kept, and the
// API key of this run when there is one.
func printWhere(stdout io.Writer, root string, st *stack.Stack, temp bool) {
	data, signerLogName := rel(root, st.DataDir), filepath.Join(rel(root, st.DataDir), "signer.log")
	if temp {
		data, signerLogName = "temporary, removed on exit", "not kept (-temp)"
	}
	fmt.Fprintf(stdout, `
  S3 (versitygw)  %s   bucket %s, data in %s
  signer          %s   signs as S3 user %s (put/get under %s only); log: %s
  other origin    %s   same page, NOT an allowed origin: uploads from it are refused

  Upload page:    %s
`, st.S3.Endpoint, st.Bucket, data, st.SignerURL, st.SignerCreds.AccessKeyID, st.Env.UploadPrefix, signerLogName,
		st.OtherPageURL, st.PageURL)
	if st.APIKey != "" {
		// Shown once: the signer holds only its hash, and the key dies with
		// this run.
		fmt.Fprintf(stdout, `
  Auth mode apikey: your API key for this run (caller %q), shown once:

    export S3PRESIGN_KEY=%s

  Send it as "Authorization: Bearer $S3PRESIGN_KEY"; paste it into the page when it asks.
`, stack.LocalCaller, st.APIKey)
	}
	fmt.Fprint(stdout, "\nPress Ctrl-C to stop.\n")
}

// waitAndStop waits for ctx to end (Ctrl-C) or the signer to exit on its
// own, then stops the stack.
func waitAndStop(ctx context.Context, st *stack.Stack, stdout io.Writer) error {
	var runErr error
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "\nstopping...")
	case <-st.SignerExited():
		runErr = fmt.Errorf("the signer exited on its own; its last output:\n%s", st.SignerOutput())
	}
	if err := st.Close(); err != nil {
		return errors.Join(runErr, err)
	}
	if runErr == nil {
		fmt.Fprintln(stdout, "stopped.")
	}
	return runErr
}

// rel shows path relative to the repository root when it is inside it.
func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

// prefixed writes every line to w with prefix in front.
func prefixed(w io.Writer, prefix string) io.Writer {
	return &prefixWriter{w: w, prefix: prefix, atStart: true}
}

type prefixWriter struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	atStart bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for _, c := range b {
		if p.atStart {
			out = append(out, p.prefix...)
			p.atStart = false
		}
		out = append(out, c)
		if c == '\n' {
			p.atStart = true
		}
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
