package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os/exec"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/signerenv"
	sconfig "github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/s3test"
)

// signerEnv returns the signer's whole environment: the variables the
// deployed task gets (signerenv.Vars, the same mapping infra/service uses)
// with what differs on one machine overridden below, then extra on top.
// env's page origins are already moved to the real page port (Rebase), so
// the CORS origins need no override. Nothing is inherited from the caller's
// environment, so no stray S3PRESIGN_* or AWS_* variable leaks in.
func signerEnv(env config.Environment, bucket, endpoint, region, listen string, creds aws.Credentials, extra map[string]string) []string {
	vars := signerenv.Vars(&env, bucket, region)
	local := map[string]string{
		// The local S3 server, addressed path-style (no bucket subdomains on 127.0.0.1).
		sconfig.EnvEndpoint:  endpoint,
		sconfig.EnvPathStyle: "true",
		// A 127.0.0.1 address instead of the container's :8080.
		sconfig.EnvListenAddr: listen,
		// No load balancer in front: X-Forwarded-For is the client's own to
		// forge, so none of it is trusted.
		sconfig.EnvTrustedProxyHops: "0",
		// A quick stop for Ctrl-C and test cleanup.
		sconfig.EnvShutdownTimeout: "2s",
		// The local signer user's static keys instead of a task role: the
		// SDK's default chain takes these first; the rest keeps it from
		// reading ~/.aws or asking an instance metadata service.
		"AWS_ACCESS_KEY_ID":           creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       creds.SecretAccessKey,
		"AWS_REGION":                  region,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
	}
	// The deployed mode's own settings would be refused as unused with none.
	delete(vars, sconfig.EnvOIDCIssuer)
	delete(vars, sconfig.EnvOIDCAudience)
	maps.Copy(vars, local)
	maps.Copy(vars, extra)
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// startSigner runs the signer binary on addr ("" picks a free port; the
// pick is retried if another process takes the port first) and waits until
// GET /readyz answers 200. log receives the signer's output.
func startSigner(ctx context.Context, bin, addr string, env func(listen string) []string, log io.Writer) (*s3test.Process, error) {
	p, err := s3test.StartProcess(ctx, s3test.ProcessConfig{
		Name: "signer", Addr: addr, ReadyPath: "/readyz", Log: log, KeepOutput: 32 << 10,
		Command: func(listen string) *exec.Cmd {
			cmd := exec.Command(bin)
			cmd.Env = env(listen)
			// Its own process group: a Ctrl-C in the terminal reaches this
			// program, which then stops the signer in order. Pdeathsig stops
			// it should this program die without cleaning up.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
			return cmd
		},
	})
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("%w (run `make build` first)", err)
	}
	return p, err
}
