package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// ProcessConfig says how to start a server.
type ProcessConfig struct {
	// Name labels the process in errors ("signer", "floor").
	Name string
	// Path and Args are the command; Args excludes the program name.
	Path string
	Args []string
	// Env is the whole environment: nothing is inherited, so no AWS
	// setting of the caller's shell reaches the server.
	Env []string
	// Addr is the host:port the server will listen on, when the command
	// sets it; when empty, the first log line {"msg":"listening","addr":...}
	// gives it.
	Addr string
	// ReadyPath is polled on the address until it answers 200.
	ReadyPath string
	// Timeout bounds the start (address logged, then ReadyPath 200).
	Timeout time.Duration
}

// Process is a server started by Start. It logs JSON lines to stderr; the
// first line with "msg":"listening" gives its address.
type Process struct {
	// Addr is the host:port it listens on.
	Addr string
	// Ready is the time from just before exec to the first 200 from ReadyPath.
	Ready time.Duration

	name   string
	cmd    *exec.Cmd
	logs   *logSink
	exited chan struct{}
	err    error // from Wait; read after exited is closed
}

// readyPoll is how often readiness is polled. The measured start-to-ready
// time is therefore at most this much late.
const readyPoll = time.Millisecond

// Start starts the server, waits for its address and then for ReadyPath to
// answer 200. The process is killed when ctx ends; call Stop to end it
// gracefully.
func Start(ctx context.Context, cfg ProcessConfig) (*Process, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	cmd := exec.CommandContext(ctx, cfg.Path, cfg.Args...)
	cmd.Env = cfg.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdout = io.Discard
	cmd.WaitDelay = 5 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p := &Process{name: cfg.Name, cmd: cmd, logs: newLogSink(), exited: make(chan struct{})}
	addrc := make(chan string, 2)

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cfg.Name, err)
	}
	// Read stderr to its end: it ends when the process exits. Wait must not
	// run before the reads are done, so it waits for the reader.
	read := make(chan struct{})
	go func() {
		defer close(read)
		p.logs.consume(stderr, addrc)
	}()
	go func() {
		<-read
		p.err = cmd.Wait()
		close(p.exited)
	}()

	deadline := time.NewTimer(cfg.Timeout)
	defer deadline.Stop()
	if cfg.Addr != "" {
		addrc <- cfg.Addr
	}
	select {
	case p.Addr = <-addrc:
	case <-p.exited:
		return nil, fmt.Errorf("%s exited before listening (%v); its log:\n%s", cfg.Name, p.err, p.logs.head())
	case <-deadline.C:
		p.kill()
		return nil, fmt.Errorf("%s logged no listening address within %s; its log:\n%s", cfg.Name, cfg.Timeout, p.logs.head())
	}

	client := &http.Client{Timeout: time.Second}
	url := "http://" + p.Addr + cfg.ReadyPath
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		if ok := pollOnce(ctx, client, url); ok {
			p.Ready = time.Since(start)
			client.CloseIdleConnections()
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before %s answered 200 (%v); its log:\n%s", cfg.Name, cfg.ReadyPath, p.err, p.logs.head())
		case <-deadline.C:
			p.kill()
			return nil, fmt.Errorf("%s: %s did not answer 200 within %s; its log:\n%s", cfg.Name, url, cfg.Timeout, p.logs.head())
		case <-ctx.Done():
			p.kill()
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

func pollOnce(ctx context.Context, c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Logs returns what the process logged so far.
func (p *Process) Logs() LogSummary { return p.logs.summary() }

// Stop sends SIGTERM and waits for the exit, killing the process after
// timeout. It returns the exit error (nil for exit status 0).
func (p *Process) Stop(timeout time.Duration) error {
	select {
	case <-p.exited:
		return p.exitErr()
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		p.kill()
		return err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.exited:
		return p.exitErr()
	case <-t.C:
		p.kill()
		return fmt.Errorf("%s did not exit within %s of SIGTERM; killed", p.name, timeout)
	}
}

func (p *Process) exitErr() error {
	if p.err != nil {
		return fmt.Errorf("%s: %w; its log:\n%s", p.name, p.err, p.logs.head())
	}
	return nil
}

func (p *Process) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// LogSummary counts a server's JSON log lines.
type LogSummary struct {
	// Lines is the number of lines logged.
	Lines int64 `json:"lines"`
	// Warnings and Errors count lines at level WARN and ERROR.
	Warnings int64 `json:"warnings"`
	Errors   int64 `json:"errors"`
	// Notable holds the first WARN and ERROR lines (the signer never logs a
	// URL, signature or secret).
	Notable []string `json:"notable,omitempty"`
}

// Bounds on what a logSink keeps: the start of the log (shown when a start
// fails) and the first notable lines.
const (
	maxHeadBytes = 16 << 10
	maxNotable   = 20
)

// logSink reads a server's stderr: it finds the listening address, counts
// lines by level and keeps the head of the log. The access log of a loaded
// server is tens of MB a minute, so nothing else is kept.
type logSink struct {
	mu    sync.Mutex
	sum   LogSummary
	start bytes.Buffer
}

func newLogSink() *logSink { return &logSink{} }

var (
	levelWarn  = []byte(`"level":"WARN"`)
	levelError = []byte(`"level":"ERROR"`)
)

func (s *logSink) consume(r io.Reader, addrc chan<- string) {
	br := bufio.NewReaderSize(r, 64<<10)
	found := false
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			s.add(line)
			if !found {
				if addr := listeningAddr(line); addr != "" {
					found = true
					addrc <- addr
				}
			}
		}
		// A line longer than the buffer counts once, by its first part.
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
		if err != nil {
			return
		}
	}
}

func (s *logSink) add(line []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sum.Lines++
	if s.start.Len() < maxHeadBytes {
		s.start.Write(line[:min(len(line), maxHeadBytes-s.start.Len())])
	}
	notable := false
	switch {
	case bytes.Contains(line, levelError):
		s.sum.Errors++
		notable = true
	case bytes.Contains(line, levelWarn):
		s.sum.Warnings++
		notable = true
	}
	if notable && len(s.sum.Notable) < maxNotable {
		s.sum.Notable = append(s.sum.Notable, string(bytes.TrimSpace(line[:min(len(line), 2048)])))
	}
}

func (s *logSink) summary() LogSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := s.sum
	sum.Notable = append([]string(nil), s.sum.Notable...)
	return sum
}

func (s *logSink) head() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.start.String()
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
