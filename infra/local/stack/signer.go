package stack

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/signerenv"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// signerStopTimeout bounds the signer's drain after SIGTERM before SIGKILL.
const signerStopTimeout = 5 * time.Second

// signerProc is the running signer binary.
type signerProc struct {
	url    string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
	err    error         // the process's exit status, set before exited closes
	out    *tail
	stop   sync.Once
}

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
func startSigner(ctx context.Context, bin, addr string, env func(listen string) []string, log io.Writer) (*signerProc, error) {
	for attempt := 1; ; attempt++ {
		listen := addr
		if listen == "" {
			var err error
			if listen, err = freeAddr(); err != nil {
				return nil, err
			}
		}
		p, err := runSigner(ctx, bin, listen, env(listen), log)
		if err == nil {
			return p, nil
		}
		exitedEarly := p != nil && p.hasExited()
		if p != nil {
			p.Stop()
		}
		if addr != "" || attempt == 3 || ctx.Err() != nil || !exitedEarly {
			return nil, err
		}
	}
}

func runSigner(ctx context.Context, bin, listen string, env []string, log io.Writer) (*signerProc, error) {
	p := &signerProc{url: "http://" + listen, exited: make(chan struct{}), out: newTail(32 << 10)}
	p.cmd = exec.Command(bin)
	p.cmd.Env = env
	w := io.Writer(p.out)
	if log != nil {
		w = io.MultiWriter(p.out, log)
	}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	// Its own process group: a Ctrl-C in the terminal reaches this program,
	// which then stops the signer in order. Pdeathsig stops it should this
	// program die without cleaning up.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start signer %s: %w (run `make build` first)", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	if err := waitReady(ctx, p.url+"/readyz", p.exited); err != nil {
		return p, fmt.Errorf("signer at %s: %w; output:\n%s", p.url, err, p.out)
	}
	return p, nil
}

// waitReady polls url until it answers 200, exited is closed, or ctx ends.
func waitReady(ctx context.Context, url string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	last := "no answer"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before %s answered 200", url)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready (last: %s): %w", url, last, ctx.Err())
		case <-tick.C:
		}
	}
}

func (p *signerProc) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM, waits up to signerStopTimeout, then kills, and waits
// for the process. It is safe to call more than once.
func (p *signerProc) Stop() {
	p.stop.Do(func() {
		if p.hasExited() {
			return
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(signerStopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// freeAddr returns a 127.0.0.1 address whose port was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tail keeps the last max bytes written to it; safe for concurrent use.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
