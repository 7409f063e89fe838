package stack

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/s3presign/s3presign/infra/config"
)

// LocalCaller names the caller of the API key an apikey-mode stack makes.
const LocalCaller = "local"

// newAPIKey makes an API key for LocalCaller with the signer's own
// subcommand (`signer apikey new NAME`), so the key and its hash line have
// exactly the format the signer reads. It returns the key, shown once and
// kept nowhere, and the hash line the signer is started with.
func newAPIKey(ctx context.Context, signerBin string) (key, hashLine string, err error) {
	out, err := exec.CommandContext(ctx, signerBin, "apikey", "new", LocalCaller).Output()
	if err != nil {
		return "", "", fmt.Errorf("make an API key with %s apikey new: %w (run `make build` first)", signerBin, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], LocalCaller+":") {
		return "", "", fmt.Errorf("%s apikey new printed %d lines, want the key and its hash line", signerBin, len(lines))
	}
	return strings.TrimSpace(lines[0]), strings.TrimSpace(lines[1]), nil
}

// checkAuthMode accepts the modes the local stack can run: none (also "",
// the default) or apikey (a key made per start).
// oidc needs an identity provider the local stack does not have.
func checkAuthMode(mode string) error {
	switch mode {
	case "", config.AuthNone, config.AuthAPIKey:
		return nil
	}
	return fmt.Errorf("auth mode %q: the local stack runs %q or %q (oidc needs an identity provider)", mode, config.AuthNone, config.AuthAPIKey)
}
