package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/internal/auth"
	"github.com/s3presign/s3presign/signer/internal/metrics"
)

// maxKeyFileBytes bounds the API-key file read (10,000 lines of ~100 bytes).
const maxKeyFileBytes = 1 << 20

// readKeyFile reads the API-key hash lines from path (EnvAPIKeysFile).
// Errors name the file and the setting, never its contents.
func readKeyFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", config.EnvAPIKeysFile, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("%s: reading %s: %w", config.EnvAPIKeysFile, path, err)
	}
	if len(b) > maxKeyFileBytes {
		return "", fmt.Errorf("%s: %s is larger than %d bytes", config.EnvAPIKeysFile, path, maxKeyFileBytes)
	}
	return string(b), nil
}

// keySource is where mode apikey's hash lines come from when they are
// reloaded: a file (EnvAPIKeysFile) or a Secrets Manager secret
// (EnvAPIKeysSecretARN). Errors name the setting, never the lines.
type keySource interface {
	// read returns the hash lines as they are now.
	read(ctx context.Context) (string, error)
	// name is the setting and its value, for logs and start errors.
	name() string
}

// fileKeys reads the hash lines from a file, such as a mounted secret.
type fileKeys struct{ path string }

func (f fileKeys) read(context.Context) (string, error) { return readKeyFile(f.path) }
func (f fileKeys) name() string                         { return config.EnvAPIKeysFile + ": " + f.path }

// newKeySource returns the configured reloadable source of hash lines, or
// nil when they are inline (EnvAPIKeys) or the mode is not apikey.
func newKeySource(cfg config.Config, secrets func() (*secretsmanager.Client, error)) (keySource, error) {
	switch {
	case cfg.APIKeysSecretARN != "":
		c, err := secrets()
		if err != nil {
			return nil, err
		}
		return secretKeys{arn: cfg.APIKeysSecretARN, client: c}, nil
	case cfg.APIKeysFile != "":
		return fileKeys{path: cfg.APIKeysFile}, nil
	}
	return nil, nil
}

// keyReloader keeps mode apikey's set of keys in step with its source (a
// file or a Secrets Manager secret): it reads the source again every
// interval and on SIGHUP, so a key removed from the secret stops working
// within one interval, without a restart. A read or parse that fails keeps
// the last good set, and logs an error and counts a failed reload
// (MetricAPIKeyReloads), so the operator learns that removals are not
// taking effect.
type keyReloader struct {
	keys *auth.APIKeys
	src  keySource
	log  *slog.Logger
	reg  *metrics.Registry // nil: metrics off
	last string            // the lines in force
}

// reload reads the source and replaces the set when its lines changed.
func (k *keyReloader) reload(ctx context.Context, trigger string) {
	lines, err := k.src.read(ctx)
	if err == nil && lines == k.last {
		k.count(true)
		return
	}
	var n int
	if err == nil {
		n, err = k.keys.Replace(lines)
	}
	if err != nil {
		k.count(false)
		// Parse errors number the bad entries; they never echo a line.
		k.log.LogAttrs(ctx, slog.LevelError, "API keys not reloaded: the last good set stays in force, so a removed key may still work",
			slog.String("trigger", trigger), slog.String("error", strings.ReplaceAll(err.Error(), "\n", "; ")))
		return
	}
	k.last = lines
	k.count(true)
	k.log.LogAttrs(ctx, slog.LevelInfo, "API keys reloaded", slog.String("trigger", trigger), slog.Int("keys", n))
}

func (k *keyReloader) count(ok bool) {
	if k.reg != nil {
		k.reg.KeyReload(ok)
	}
}

// run reloads every interval and on each value from hup until ctx ends.
func (k *keyReloader) run(ctx context.Context, interval time.Duration, hup <-chan os.Signal) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			k.reload(ctx, "interval")
		case <-hup:
			k.reload(ctx, "SIGHUP")
		}
	}
}

// startKeyReload starts reloading the API keys from src, when there is one
// (and authn holds API keys); lines are the lines read at start. It returns
// the function that stops it. SIGHUP is caught only then, so it keeps its
// default meaning otherwise.
func startKeyReload(ctx context.Context, cfg config.Config, src keySource, lines string, authn auth.Authenticator, log *slog.Logger, reg *metrics.Registry) func() {
	keys, ok := authn.(*auth.APIKeys)
	if !ok || src == nil {
		return func() {}
	}
	k := &keyReloader{keys: keys, src: src, log: log, reg: reg, last: lines}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		k.run(ctx, cfg.APIKeysReloadInterval, hup)
	}()
	log.Info("API keys reload from their source", slog.String("source", src.name()), slog.String("interval", cfg.APIKeysReloadInterval.String()))
	return func() {
		signal.Stop(hup)
		cancel()
		<-done
	}
}
