package s3test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// ProcessConfig says how to start a server process and how to tell that it
// is ready. versitygw (Run) and the local stack's signer start this way.
type ProcessConfig struct {
	// Name labels the process in errors ("versitygw", "signer").
	Name string
	// Addr is the host:port the process is told to listen on; "" picks a
	// free 127.0.0.1 port. A picked port can be taken by someone else
	// before the process binds it; the process then exits at once and a
	// new port is tried (three tries in all).
	Addr string
	// Command returns the command to run for the listen address addr, with
	// its arguments, environment and process attributes. StartProcess sets
	// its Stdout and Stderr.
	Command func(addr string) *exec.Cmd
	// ReadyPath is polled (GET http://addr + ReadyPath) until it answers 200.
	ReadyPath string
	// Log, when not nil, receives the output as well.
	Log io.Writer
	// KeepOutput is how many of the last bytes of output Output keeps; 0 is 64 KiB.
	KeepOutput int
	// StopTimeout bounds the wait after SIGTERM before SIGKILL; 0 is 5s.
	StopTimeout time.Duration
}

// Process is a child process started by StartProcess.
type Process struct {
	// Addr is the host:port it listens on.
	Addr string
	// URL is http://Addr.
	URL string

	cmd         *exec.Cmd
	exited      chan struct{} // closed when the process has exited
	err         error         // the exit status, set before exited closes
	out         *tailBuffer
	stopTimeout time.Duration
	stopping    sync.Once
}

// StartProcess starts the process and waits until ReadyPath answers 200.
// It fails, with the process's last output, when the process exits first or
// ctx ends; the process is then stopped. ctx bounds only the start.
func StartProcess(ctx context.Context, cfg ProcessConfig) (*Process, error) {
	for attempt := 1; ; attempt++ {
		addr := cfg.Addr
		if addr == "" {
			var err error
			if addr, err = freeAddr(); err != nil {
				return nil, err
			}
		}
		p, err := startOnce(ctx, cfg, addr)
		if err == nil {
			return p, nil
		}
		exitedEarly := p != nil && p.hasExited()
		if p != nil {
			p.Stop()
		}
		if cfg.Addr != "" || attempt == 3 || ctx.Err() != nil || !exitedEarly {
			return nil, err
		}
	}
}

// startOnce starts the process on addr and waits for it to be ready. On a
// failure after the start it returns the process too, for Stop.
func startOnce(ctx context.Context, cfg ProcessConfig, addr string) (*Process, error) {
	keep, stop := cfg.KeepOutput, cfg.StopTimeout
	if keep <= 0 {
		keep = 64 << 10
	}
	if stop <= 0 {
		stop = 5 * time.Second
	}
	p := &Process{
		Addr: addr, URL: "http://" + addr,
		cmd: cfg.Command(addr), exited: make(chan struct{}), out: newTailBuffer(keep), stopTimeout: stop,
	}
	w := io.Writer(p.out)
	if cfg.Log != nil {
		w = io.MultiWriter(p.out, cfg.Log)
	}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.cmd.Path, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(ctx, p.URL+cfg.ReadyPath); err != nil {
		return p, fmt.Errorf("%s at %s: %w; output:\n%s", cfg.Name, addr, err, p.out)
	}
	return p, nil
}

// waitReady polls url until it answers 200, the process exits or ctx ends.
func (p *Process) waitReady(ctx context.Context, url string) error {
	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
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
		case <-p.exited:
			return fmt.Errorf("exited (%v) before %s answered 200", p.err, url)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200 (last: %s): %w", url, last, ctx.Err())
		case <-tick.C:
		}
	}
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

func (p *Process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Output returns the last part of the process's output (stdout and stderr),
// marked when older output was dropped.
func (p *Process) Output() string { return p.out.String() }

// Stop sends SIGTERM, waits up to the stop timeout, then kills, and waits
// for the process to exit. It is safe to call more than once.
func (p *Process) Stop() {
	p.stopping.Do(func() {
		if p.hasExited() {
			return
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		t := time.NewTimer(p.stopTimeout)
		defer t.Stop()
		select {
		case <-p.exited:
		case <-t.C:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tailBuffer keeps the last max bytes written to it. It is safe for
// concurrent use.
type tailBuffer struct {
	mu   sync.Mutex
	max  int
	buf  []byte
	lost bool
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

// Write appends p, dropping the oldest bytes beyond max.
func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.lost = true
	}
	return len(p), nil
}

// String returns the kept output, marked when older output was dropped.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lost {
		return "[earlier output dropped]\n" + string(b.buf)
	}
	return string(b.buf)
}
