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
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	envName := fs.String("env", "dev", "environment in cdk.json whose settings the local stack uses")
	cdkJSON := fs.String("cdk-json", filepath.Join(root, "cdk.json"), "the CDK app's cdk.json")
	dataDir := fs.String("data-dir", filepath.Join(root, ".local"), "keeps objects and keys across runs")
	temp := fs.Bool("temp", false, "use a throwaway data directory, removed on exit")
	s3Addr := fs.String("s3-addr", defaultS3Addr, "versitygw listen address (127.0.0.1:0 picks a free port)")
	signerAddr := fs.String("signer-addr", defaultSignerAddr, "signer listen address")
	pageAddr := fs.String("page-addr", "", "upload page address (default: the environment's allowed origin; on another port the origins and referer patterns follow it)")
	otherAddr := fs.String("other-addr", defaultOtherAddr, "address of the same page on an origin that is NOT allowed")
	binDir := filepath.Join(root, ".bin")
	if d := getenv("S3PRESIGN_BIN_DIR"); d != "" {
		binDir = d
	}
	signerBin := fs.String("signer-bin", filepath.Join(binDir, "signer"), "signer binary (make build)")
	authMode := fs.String("auth", "", "auth mode instead of the environment's: none, or apikey (prints a fresh API key once; make run AUTH=apikey)")
	verbose := fs.Bool("v", false, "show the signer's log here as well as in the data directory's signer.log")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	raw, err := os.ReadFile(*cdkJSON)
	if err != nil {
		return err
	}
	env, err := config.LoadCDKJSON(raw, *envName)
	if err != nil {
		return fmt.Errorf("%s: %w", *cdkJSON, err)
	}
	dir := *dataDir
	if *temp {
		dir = ""
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	var signerLog io.Writer = io.Discard
	if dir != "" {
		f, err := os.OpenFile(filepath.Join(dir, "signer.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		signerLog = f
	}
	if *verbose {
		signerLog = io.MultiWriter(signerLog, prefixed(stderr, "signer | "))
	}

	fmt.Fprintf(stdout, "s3presign local stack: environment %q from %s\n", env.Name, rel(root, *cdkJSON))
	st, err := stack.Start(ctx, stack.Options{
		Env: env, DataDir: dir, SignerBin: *signerBin,
		S3Addr: *s3Addr, SignerAddr: *signerAddr, PageAddr: *pageAddr, OtherPageAddr: *otherAddr,
		Log: prefixed(stdout, "  "), SignerLog: signerLog, AuthMode: *authMode,
	})
	if err != nil {
		return err
	}
	data, signerLogName := rel(root, st.DataDir), filepath.Join(rel(root, st.DataDir), "signer.log")
	if *temp {
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
