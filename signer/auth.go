package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/internal/auth"
)

// startKeysTimeout bounds the OIDC key prefetch at start.
const startKeysTimeout = 5 * time.Second

// newAuth builds the authenticator and the rate limiter from the
// configuration. In mode apikey, lines are the hash lines in force at start
// (EnvAPIKeys, or read from src). clock drives token expiry checks and the
// rate limiter.
func newAuth(cfg config.Config, lines string, src keySource, clock func() time.Time, log *slog.Logger) (auth.Authenticator, *auth.Limiter, error) {
	a, err := auth.New(auth.Settings{
		Mode:       cfg.AuthMode,
		Production: cfg.Production,
		APIKeys:    lines,
		OIDC: auth.OIDCConfig{
			Issuer:       cfg.OIDCIssuer,
			JWKSURL:      cfg.OIDCJWKSURL,
			Audiences:    cfg.OIDCAudiences,
			SubjectClaim: cfg.OIDCSubjectClaim,
			Algorithms:   cfg.OIDCAlgorithms,
			Now:          clock,
			Logger:       log,
		},
	})
	if err != nil {
		if src != nil {
			return nil, nil, fmt.Errorf("%s: %w", src.name(), err)
		}
		return nil, nil, fmt.Errorf("%s: %w", config.EnvAuthMode, err)
	}
	lim, err := auth.NewLimiter(auth.LimiterConfig{
		Default:          cfg.RateLimit,
		TrustedProxyHops: cfg.TrustedProxyHops,
		Now:              clock,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("rate limiter: %w", err)
	}
	return a, lim, nil
}

// startKeyLines returns the API-key hash lines in force at start: inline
// (EnvAPIKeys), or read once from src. A source that cannot be read stops
// the start: with no keys the signer could only refuse every caller.
func startKeyLines(ctx context.Context, cfg config.Config, src keySource) (string, error) {
	if src == nil {
		return cfg.APIKeys, nil
	}
	return src.read(ctx)
}

// prefetchKeys fetches the OIDC issuer's keys at start, so the first request
// does not wait and a wrong issuer shows in the log at once. A failure does
// not stop the start: requests fetch again later (rate-limited).
func prefetchKeys(ctx context.Context, a auth.Authenticator, log *slog.Logger) {
	o, ok := a.(*auth.OIDC)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, startKeysTimeout)
	defer cancel()
	if err := o.Prefetch(ctx); err != nil {
		log.Warn("the OIDC issuer's signing keys could not be fetched at start; tokens with unknown keys get 503 until a fetch succeeds",
			slog.String("error", err.Error()))
	}
}

const apikeyUsage = `usage: signer apikey new NAME

  Prints a new API key for the caller NAME, then its hash line. The key is
  shown once and stored nowhere: give it to the caller now. Add the hash line
  (NAME:sha256hex, optionally followed by :rate[:burst]) to the API-key
  secret (S3PRESIGN_API_KEYS_SECRET_ARN, or the file or variable), one line
  per key; a secret or file is reloaded every
  S3PRESIGN_API_KEYS_RELOAD_INTERVAL. NAME becomes the caller's key
  prefix segment: ` + "[A-Za-z0-9][A-Za-z0-9._@-]{0,63}" + `, without "..".
`

// apikeyCommand runs `signer apikey new NAME`: the key and the hash line go
// to stdout (one per line, for scripts), the explanation to stderr.
func apikeyCommand(args []string, random io.Reader, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "new" {
		fmt.Fprint(stderr, apikeyUsage)
		return fmt.Errorf("apikey: want `apikey new NAME`, got %q", args)
	}
	key, line, err := auth.NewAPIKey(args[1], random)
	if err != nil {
		return fmt.Errorf("apikey new: %w", err)
	}
	fmt.Fprintf(stderr, "Line 1: the API key for %q. It is shown once and stored nowhere: give it to the caller now "+
		"(they send it as Authorization: Bearer <key>).\n"+
		"Line 2: its hash line. Add it to the API-key secret (%s), one line per key; old and new lines may coexist while rotating.\n",
		args[1], config.EnvAPIKeys)
	_, err = fmt.Fprintf(stdout, "%s\n%s\n", key, line)
	return err
}
