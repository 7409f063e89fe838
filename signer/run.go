package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/internal/api"
	"github.com/s3presign/s3presign/signer/internal/auth"
	"github.com/s3presign/s3presign/signer/internal/creds"
	"github.com/s3presign/s3presign/signer/internal/metrics"
	"github.com/s3presign/s3presign/signer/internal/objectkey"
	"github.com/s3presign/s3presign/signer/internal/presign"
	"github.com/s3presign/s3presign/signer/internal/rules"
)

// Set at build time by build.sh (-ldflags -X).
var (
	version = "dev"
	commit  = "none"
)

// HTTP server limits: a slow or hostile client cannot hold a connection or
// send unbounded headers. Bodies are capped by the API (api.MaxBodyBytes).
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 32 << 10
	healthTimeout     = 3 * time.Second
	startCredsTimeout = 5 * time.Second
)

const usage = `usage: signer [-version] [serve | healthcheck | version | apikey new NAME]

  serve        run the HTTP service (the default); settings come from
               S3PRESIGN_* environment variables (see signer/README.md)
  healthcheck  GET /healthz on the local server; exit 0 when it answers 200
               (for container health checks, which have no shell or curl)
  version      print the version and commit, as -version does
  apikey new NAME
               print a new API key for caller NAME (once) and the hash line
               to add to the API-key secret
`

// run is the whole program; main only wires it to the process. Tests call it
// with their own args, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runWith(ctx, args, getenv, stdout, stderr, runDeps{})
}

// runDeps lets tests replace the signer's outside world. Zero values are the
// production choices.
type runDeps struct {
	// clock is the signing time source; nil is time.Now.
	clock func() time.Time
	// credentials replaces the provider chosen from the environment.
	credentials aws.CredentialsProvider
	// server, when set, adjusts the HTTP server before it serves (tests
	// shorten its timeouts).
	server func(*http.Server)
	// secrets, when set, adjusts the client that reads the API-key secret
	// (tests point it at a stand-in Secrets Manager).
	secrets func(*secretsmanager.Options)
}

func runWith(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, deps runDeps) error {
	name := "signer"
	if len(args) > 0 {
		args, name = args[1:], args[0]
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	showVersion := fs.Bool("version", false, "print the version and commit, then exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		return printVersion(stdout)
	}
	switch cmd := fs.Arg(0); cmd {
	case "", "serve":
		if fs.NArg() > 1 {
			return fmt.Errorf("serve takes no arguments, got %q", fs.Args()[1:])
		}
		return serve(ctx, getenv, stdout, stderr, deps)
	case "healthcheck":
		return healthcheck(ctx, getenv, stdout)
	case "version":
		return printVersion(stdout)
	case "apikey":
		return apikeyCommand(fs.Args()[1:], rand.Reader, stdout, stderr)
	default:
		fs.Usage()
		return fmt.Errorf("unknown subcommand %q", cmd)
	}
}

func printVersion(w io.Writer) error {
	_, err := fmt.Fprintf(w, "signer %s (commit %s, %s)\n", version, commit, runtime.Version())
	return err
}

// serve runs the HTTP service until ctx ends, then drains in-flight requests
// for at most the configured shutdown timeout.
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, deps runDeps) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	out := &lockedWriter{w: stderr}
	attrs := []slog.Attr{slog.String("service", "signer"), slog.String("version", version), slog.String("environment", cfg.Environment)}
	log := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: cfg.LogLevel}).WithAttrs(attrs))
	// One line per request, audit fields included; a line that issued a URL
	// is kept whatever the log level.
	requestLog := api.NewRequestLog(out, cfg.LogLevel, attrs...)

	clock := deps.clock
	if clock == nil {
		clock = time.Now
	}
	provider := deps.credentials
	if provider == nil {
		if provider, err = credentialsFrom(ctx, getenv, cfg.Region); err != nil {
			return err
		}
	}
	src := creds.New(provider)
	keySrc, err := newKeySource(cfg, func() (*secretsmanager.Client, error) {
		return keySecretClient(getenv, cfg, src, clock, deps)
	})
	if err != nil {
		return err
	}
	lines, err := startKeyLines(ctx, cfg, keySrc)
	if err != nil {
		return err
	}
	authn, limiter, err := newAuth(cfg, lines, keySrc, clock, log)
	if err != nil {
		return err
	}
	reg := newMetrics(cfg)
	handler, err := newHandler(cfg, src, clock, log, handlerAuth{authn: authn, limiter: limiter, requests: requestLog}, reg)
	if err != nil {
		return err
	}
	checkCredentials(ctx, src, clock, log)
	prefetchKeys(ctx, authn, log)
	stopReload := startKeyReload(ctx, cfg, keySrc, lines, authn, log, reg)
	defer stopReload()

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
	}
	// Metrics first: the "listening" line says the signer is ready.
	mrun, err := startMetrics(cfg, reg, stdout, clock, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if deps.server != nil {
		deps.server(srv)
	}
	log.Info("listening", slog.String("addr", ln.Addr().String()),
		slog.String("bucket", cfg.Bucket), slog.String("endpoint", cfg.Endpoint), slog.String("prefix", cfg.KeyPrefix),
		slog.Bool("compat_routes", cfg.CompatRoutes), slog.String("auth_mode", string(cfg.AuthMode)),
		slog.Float64("rate_limit", cfg.RateLimit.PerSecond), slog.Int("rate_burst", cfg.RateLimit.Burst),
		slog.Int("trusted_proxy_hops", cfg.TrustedProxyHops), slog.String("commit", commit))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutting down", slog.String("timeout", cfg.ShutdownTimeout.String()))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("drain did not finish within %s: %w", cfg.ShutdownTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	if err := mrun.stop(shutdownCtx); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// handlerAuth is what newHandler needs for authentication and audit.
type handlerAuth struct {
	authn    auth.Authenticator
	limiter  *auth.Limiter
	requests *api.RequestLog // each request's line, audit fields included
}

// newHandler builds the API from the configuration.
func newHandler(cfg config.Config, src *creds.Source, clock func() time.Time, log *slog.Logger, ha handlerAuth, reg *metrics.Registry) (http.Handler, error) {
	p, err := presign.New(cfg.Target())
	if err != nil {
		return nil, err
	}
	rl, err := rules.New(cfg.AllowedTypes, cfg.Limits)
	if err != nil {
		return nil, err
	}
	keys, err := objectkey.NewBuilder(cfg.KeyPrefix, rand.Reader)
	if err != nil {
		return nil, err
	}
	tokens, err := newTokens(cfg, log)
	if err != nil {
		return nil, err
	}
	store := newStore(cfg, src, clock)
	check, err := newScanCheck(cfg, store)
	if err != nil {
		return nil, err
	}
	return api.New(api.Deps{
		Presigner:             p,
		Creds:                 src,
		Clock:                 clock,
		Rules:                 rl,
		Keys:                  keys,
		Logger:                log,
		CORSOrigins:           cfg.CORSOrigins,
		Compat:                cfg.CompatRoutes,
		CompatRefuseOverwrite: cfg.CompatOverwrite == config.OverwriteRefuse,
		CompatRefuseUnsized:   cfg.CompatUnsized == config.UnsizedRefuse,
		Auth:                  ha.authn,
		Limiter:               ha.limiter,
		SharedPrefixes:        cfg.SharedPrefixes,
		RequestLog:            ha.requests,
		TrustedProxyHops:      cfg.TrustedProxyHops,
		Store:                 store,
		Tokens:                tokens,
		Multipart:             cfg.Multipart,
		Metrics:               reg,
		Scan:                  check,
		Head:                  store,
	})
}

// credentialsFrom picks the credentials provider: static keys when getenv
// has AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (what the SDK's chain
// would pick first too); then container credentials (the ECS task role on
// Fargate) when getenv names their endpoint (see containerCredentials);
// otherwise the SDK's default chain (web identity, shared config, EC2
// instance role). Each cache refreshes ahead of expiry as package creds
// expects.
func credentialsFrom(ctx context.Context, getenv func(string) string, region string) (aws.CredentialsProvider, error) {
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		return credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN")), nil
	}
	if p, err := containerCredentials(getenv); p != nil || err != nil {
		return p, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithRegion(region),
		awsconfig.WithCredentialsCacheOptions(creds.CacheOptions))
	if err != nil {
		return nil, fmt.Errorf("load AWS credentials chain: %w", err)
	}
	if awsCfg.Credentials == nil {
		return nil, errors.New("no AWS credentials provider found")
	}
	return awsCfg.Credentials, nil
}

// checkCredentials resolves the credentials once at start, so a broken setup
// shows in the log at once. It does not stop the start: /readyz reports it,
// and the provider may recover.
func checkCredentials(ctx context.Context, src *creds.Source, clock func() time.Time, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, startCredsTimeout)
	defer cancel()
	c, err := src.Retrieve(ctx, clock())
	if err != nil {
		log.Warn("credentials unavailable at start; /readyz answers 503 until they resolve", slog.String("error", err.Error()))
		return
	}
	attrs := []slog.Attr{slog.String("source", c.Source), slog.Bool("temporary", c.CanExpire)}
	if c.CanExpire {
		attrs = append(attrs, slog.Time("expires", c.Expires))
	}
	log.LogAttrs(ctx, slog.LevelInfo, "credentials resolved", attrs...)
}

// healthcheck asks the local server's /healthz and fails unless it answers 200.
func healthcheck(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	addr, err := config.HealthAddr(getenv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", addr, resp.Status)
	}
	_, err = fmt.Fprintln(stdout, "ok")
	return err
}

// lockedWriter serialises writes from the service logger and the request
// log, so their lines never interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
