package s3test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// ProcessConfig says how to start a server process and how to tell that it
// is ready. It is the project's one process supervisor: versitygw (Run), the
// local stack's signer and the load tests' servers all start this way.
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
	// AddrFromLog is for servers that choose their own port: Command gets
	// "127.0.0.1:0", and the first output line
	// {"msg":"listening","addr":"host:port"} gives Addr. Addr must be "".
	AddrFromLog bool
	// OnLine, when not nil, is called with each line of output (without its
	// newline; a line over 64 KiB is cut there), from one goroutine.
	OnLine func(line []byte)
	// ReadyPoll is how often ReadyPath is polled; 0 is 20ms. Ready is at
	// most this much late.
	ReadyPoll time.Duration
}

// Process is a child process started by StartProcess.
type Process struct {
	// Addr is the host:port it listens on.
	Addr string
	// URL is http://Addr.
	URL string
	// Ready is the time from just before the start to the first 200 from
	// ReadyPath (what the load tests report as start-to-ready).
	Ready time.Duration

	name        string
	cmd         *exec.Cmd
	exited      chan struct{} // closed when the process has exited
	err         error         // the exit status, set before exited closes
	out         *tailBuffer
	stopTimeout time.Duration
	stopping    sync.Once
	stopErr     error
}

// StartProcess starts the process and waits until ReadyPath answers 200.
// It fails, with the process's last output, when the process exits first or
// ctx ends; the process is then stopped. ctx bounds only the start.
func StartProcess(ctx context.Context, cfg ProcessConfig) (*Process, error) {
	for attempt := 1; ; attempt++ {
		addr := cfg.Addr
		if cfg.AddrFromLog {
			addr = "127.0.0.1:0"
		} else if addr == "" {
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
		if cfg.Addr != "" || cfg.AddrFromLog || attempt == 3 || ctx.Err() != nil || !exitedEarly {
			return nil, err
		}
	}
}

// startOnce starts the process on addr and waits for it to be ready. On a
// failure after the start it returns the process too, for Stop.
func startOnce(ctx context.Context, cfg ProcessConfig, addr string) (*Process, error) {
	p := newProcess(cfg, addr)
	addrc := make(chan string, 1)
	w, lines := p.outputWriter(cfg, addrc)
	p.cmd.Stdout, p.cmd.Stderr = w, w
	start := time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.cmd.Path, err)
	}
	go func() {
		p.err = p.cmd.Wait() // returns after the output is copied
		if lines != nil {
			lines.flush()
		}
		close(p.exited)
	}()
	if cfg.AddrFromLog {
		if err := p.waitAddr(ctx, addrc); err != nil {
			return p, fmt.Errorf("%s: %w; output:\n%s", cfg.Name, err, p.out)
		}
	}
	if err := p.waitReady(ctx, p.URL+cfg.ReadyPath, cfg.ReadyPoll); err != nil {
		return p, fmt.Errorf("%s at %s: %w; output:\n%s", cfg.Name, p.Addr, err, p.out)
	}
	p.Ready = time.Since(start)
	return p, nil
}

// newProcess is the not yet started process for cfg on addr, with the
// defaults of KeepOutput and StopTimeout applied.
func newProcess(cfg ProcessConfig, addr string) *Process {
	keep, stop := cfg.KeepOutput, cfg.StopTimeout
	if keep <= 0 {
		keep = 64 << 10
	}
	if stop <= 0 {
		stop = 5 * time.Second
	}
	return &Process{
		Addr: addr, URL: "http://" + addr, name: cfg.Name,
		cmd: cfg.Command(addr), exited: make(chan struct{}), out: newTailBuffer(keep), stopTimeout: stop,
	}
}

// outputWriter is where the process's stdout and stderr go: the kept tail,
// cfg.Log, and, when something reads lines, a line splitter that finds the
// listening address (sent once on addrc) and calls cfg.OnLine; that
// splitter is returned too, to flush after the exit.
func (p *Process) outputWriter(cfg ProcessConfig, addrc chan<- string) (io.Writer, *lineWriter) {
	w := io.Writer(p.out)
	if cfg.Log != nil {
		w = io.MultiWriter(p.out, cfg.Log)
	}
	if !cfg.AddrFromLog && cfg.OnLine == nil {
		return w, nil
	}
	found := !cfg.AddrFromLog
	lines := &lineWriter{fn: func(line []byte) {
		if !found {
			if a := listeningAddr(line); a != "" {
				found = true
				addrc <- a
			}
		}
		if cfg.OnLine != nil {
			cfg.OnLine(line)
		}
	}}
	return io.MultiWriter(w, lines), lines
}

// waitAddr waits for the listening address from the output.
func (p *Process) waitAddr(ctx context.Context, addrc <-chan string) error {
	select {
	case p.Addr = <-addrc:
		p.URL = "http://" + p.Addr
		return nil
	case <-p.exited:
		// The last lines may have been read just before the exit.
		select {
		case p.Addr = <-addrc:
			p.URL = "http://" + p.Addr
			return nil
		default:
		}
		return fmt.Errorf("exited (%v) before logging its listening address", p.err)
	case <-ctx.Done():
		return fmt.Errorf("logged no listening address: %w", ctx.Err())
	}
}

// waitReady polls url every poll (0: 20ms) until it answers 200, the
// process exits or ctx ends.
func (p *Process) waitReady(ctx context.Context, url string, poll time.Duration) error {
	if poll <= 0 {
		poll = 20 * time.Millisecond
	}
	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	last := "no answer"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
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

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stop sends SIGTERM, waits up to the stop timeout, then kills, and waits
// for the process to exit. It returns nil when the process exited with
// status 0 of itself, else an error with the exit status (or the kill) and
// the last output. It is safe to call more than once; later calls return
// the first call's answer.
func (p *Process) Stop() error {
	p.stopping.Do(func() {
		if !p.hasExited() {
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) && !errors.Is(err, os.ErrProcessDone) {
				p.stopErr = fmt.Errorf("%s: SIGTERM: %w", p.name, err)
			}
			t := time.NewTimer(p.stopTimeout)
			defer t.Stop()
			select {
			case <-p.exited:
			case <-t.C:
				_ = p.cmd.Process.Kill()
				<-p.exited
				p.stopErr = fmt.Errorf("%s did not exit within %s of SIGTERM; killed", p.name, p.stopTimeout)
				return
			}
		}
		if p.stopErr == nil && p.err != nil {
			p.stopErr = fmt.Errorf("%s: %w; output:\n%s", p.name, p.err, p.out)
		}
	})
	return p.stopErr
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

// maxLine is the longest line lineWriter passes on whole; a longer one is
// passed cut at maxLine and its rest skipped.
const maxLine = 64 << 10

// lineWriter splits what is written to it into lines for fn. Writes come
// from the one goroutine exec uses to copy output (stdout and stderr share
// a writer, so exec copies both with one).
type lineWriter struct {
	fn   func(line []byte)
	buf  []byte
	skip bool // inside a line longer than maxLine
}

func (w *lineWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i]
		}
		if !w.skip {
			w.buf = append(w.buf, chunk[:min(len(chunk), maxLine-len(w.buf))]...)
			if len(w.buf) == maxLine && i < 0 {
				w.fn(w.buf)
				w.buf, w.skip = w.buf[:0], true
			}
		}
		if i < 0 {
			break
		}
		if !w.skip {
			w.fn(w.buf)
		}
		w.buf, w.skip = w.buf[:0], false
		b = b[i+1:]
	}
	return n, nil
}

// flush passes on a last line that had no newline.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 && !w.skip {
		w.fn(w.buf)
	}
	w.buf = w.buf[:0]
}

// listeningAddr returns the address of a {"msg":"listening","addr":...} log
// line, or "".
func listeningAddr(line []byte) string {
	if !bytes.Contains(line, []byte(`"listening"`)) {
		return ""
	}
	var l struct {
		Msg  string `json:"msg"`
		Addr string `json:"addr"`
	}
	if json.Unmarshal(line, &l) != nil || l.Msg != "listening" {
		return ""
	}
	if _, _, err := net.SplitHostPort(l.Addr); err != nil {
		return ""
	}
	return l.Addr
}
