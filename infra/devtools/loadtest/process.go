package loadtest

import (
	"bytes"
	"context"
	"os/exec"
	"sync"
	"time"

	"github.com/s3presign/s3presign/signer/s3test"
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
	// Timeout bounds the start (address logged, then ReadyPath 200); 0 is 10s.
	Timeout time.Duration
}

// Process is a server started by Start: the project's one supervisor
// (s3test.Process) and a count of the JSON lines it logged.
type Process struct {
	*s3test.Process
	logs *logSink
}

// readyPoll is how often readiness is polled. The measured start-to-ready
// time (Process.Ready) is therefore at most this much late.
const readyPoll = time.Millisecond

// stopTimeout is how long Stop waits after SIGTERM before it kills.
const stopTimeout = 10 * time.Second

// Start starts the server with s3test.StartProcess, waits for its address
// and then for ReadyPath to answer 200. The process is killed when ctx
// ends; call Stop to end it gracefully (SIGTERM, then a kill after 10s).
func Start(ctx context.Context, cfg ProcessConfig) (*Process, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	env := cfg.Env
	if env == nil {
		env = []string{}
	}
	sink := newLogSink()
	startCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	p, err := s3test.StartProcess(startCtx, s3test.ProcessConfig{
		Name: cfg.Name, Addr: cfg.Addr, AddrFromLog: cfg.Addr == "", ReadyPath: cfg.ReadyPath,
		ReadyPoll: readyPoll, StopTimeout: stopTimeout, KeepOutput: keptOutput, OnLine: sink.add,
		Command: func(string) *exec.Cmd {
			// ctx, not startCtx: the server outlives the start.
			cmd := exec.CommandContext(ctx, cfg.Path, cfg.Args...)
			cmd.Env = env
			cmd.WaitDelay = 5 * time.Second
			return cmd
		},
	})
	if err != nil {
		return nil, err
	}
	return &Process{Process: p, logs: sink}, nil
}

// Logs returns what the process logged so far.
func (p *Process) Logs() LogSummary { return p.logs.summary() }

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

// Bounds on what a server's log leaves behind: the last part of the output
// (shown when a start or a stop fails) and the first notable lines.
const (
	keptOutput = 16 << 10
	maxNotable = 20
)

// logSink counts a server's log lines by level. The access log of a loaded
// server is tens of MB a minute, so only the counts, the first notable
// lines and (in the supervisor) the last 16 KiB are kept.
type logSink struct {
	mu  sync.Mutex
	sum LogSummary
}

func newLogSink() *logSink { return &logSink{} }

var (
	levelWarn  = []byte(`"level":"WARN"`)
	levelError = []byte(`"level":"ERROR"`)
)

// add counts one line (called by the supervisor for each line of output).
func (s *logSink) add(line []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sum.Lines++
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
