package s3test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a small server (see TestMain).
const helperEnv = "S3TEST_HELPER_ADDR"

// helperTermEnv set to "exit" makes the helper exit 0 on SIGTERM.
const helperTermEnv = "S3TEST_HELPER_TERM"

// TestMain: with S3TEST_HELPER_ADDR set, the test binary is a server that
// prints a line (and, when it picked its own port, the JSON line
// {"msg":"listening","addr":...} on stderr), answers 200 on /ready and
// ignores SIGTERM (so Stop has to kill it) unless S3TEST_HELPER_TERM=exit.
func TestMain(m *testing.M) {
	if addr := os.Getenv(helperEnv); addr != "" {
		if os.Getenv(helperTermEnv) == "exit" {
			term := make(chan os.Signal, 1)
			signal.Notify(term, syscall.SIGTERM)
			go func() { <-term; os.Exit(0) }()
		} else {
			signal.Ignore(syscall.SIGTERM)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println("helper listening on", addr)
		fmt.Fprintf(os.Stderr, `{"level":"INFO","msg":"listening","addr":%q}`+"\n", ln.Addr())
		mux := http.NewServeMux()
		mux.HandleFunc("GET /ready", func(http.ResponseWriter, *http.Request) {})
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Second}
		fmt.Fprintln(os.Stderr, srv.Serve(ln))
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// helper is the command that runs the test binary as the helper server.
func helper(term string) func(addr string) *exec.Cmd {
	return func(addr string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+addr, helperTermEnv+"="+term)
		return cmd
	}
}

func TestStartProcess(t *testing.T) {
	t.Run("control: ready, output kept and logged, Stop kills after the timeout", func(t *testing.T) {
		log := newTailBuffer(1 << 20) // safe for the output goroutines
		p, err := StartProcess(context.Background(), ProcessConfig{
			Name: "helper", ReadyPath: "/ready", Log: log, StopTimeout: 200 * time.Millisecond,
			Command: helper(""),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.Addr, "127.0.0.1:") || p.URL != "http://"+p.Addr {
			t.Errorf("Addr %q URL %q", p.Addr, p.URL)
		}
		if want := "helper listening on " + p.Addr; !strings.Contains(p.Output(), want) || !strings.Contains(log.String(), want) {
			t.Errorf("output %q, log %q: want both to hold %q", p.Output(), log.String(), want)
		}
		if p.Ready <= 0 {
			t.Errorf("Ready %s, want the time to the first 200", p.Ready)
		}
		start := time.Now()
		err = p.Stop()
		if err == nil || !strings.Contains(err.Error(), "did not exit within 200ms of SIGTERM; killed") {
			t.Errorf("Stop: %v, want the kill reported", err)
		}
		if again := p.Stop(); again != err { // a second Stop only repeats the answer
			t.Errorf("second Stop: %v, want %v", again, err)
		}
		select {
		case <-p.Exited():
		default:
			t.Fatal("Stop returned before the process exited")
		}
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("stopped after %s: SIGTERM is ignored, so only the kill after the 200ms timeout ends it", d)
		}
	})
	t.Run("address from the log, every line to OnLine, clean stop", func(t *testing.T) {
		var mu sync.Mutex
		var lines []string
		p, err := StartProcess(context.Background(), ProcessConfig{
			Name: "helper", ReadyPath: "/ready", AddrFromLog: true, ReadyPoll: time.Millisecond,
			OnLine:  func(line []byte) { mu.Lock(); lines = append(lines, string(line)); mu.Unlock() },
			Command: helper("exit"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if p.Addr == "127.0.0.1:0" || !strings.HasPrefix(p.Addr, "127.0.0.1:") || p.URL != "http://"+p.Addr {
			t.Errorf("Addr %q URL %q, want the port the helper logged", p.Addr, p.URL)
		}
		if err := p.Stop(); err != nil {
			t.Errorf("Stop: %v, want nil for an exit with status 0 after SIGTERM", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(lines) != 2 || lines[0] != "helper listening on 127.0.0.1:0" || !strings.Contains(lines[1], p.Addr) {
			t.Errorf("lines %q, want the plain line and the JSON line naming %s", lines, p.Addr)
		}
	})
	t.Run("address from the log: exits before logging one", func(t *testing.T) {
		_, err := StartProcess(context.Background(), ProcessConfig{
			Name: "quitter", ReadyPath: "/ready", AddrFromLog: true,
			Command: func(string) *exec.Cmd { return exec.Command("sh", "-c", "echo boom; exit 3") },
		})
		if err == nil || !strings.Contains(err.Error(), "exited (exit status 3) before logging its listening address") || !strings.Contains(err.Error(), "boom") {
			t.Errorf("error %v, want the exit status and the output", err)
		}
	})
	t.Run("exits before ready", func(t *testing.T) {
		_, err := StartProcess(context.Background(), ProcessConfig{
			Name: "quitter", Addr: "127.0.0.1:1", ReadyPath: "/ready",
			Command: func(string) *exec.Cmd { return exec.Command("sh", "-c", "echo boom; exit 3") },
		})
		if err == nil || !strings.Contains(err.Error(), "quitter at 127.0.0.1:1: exited (exit status 3)") || !strings.Contains(err.Error(), "boom") {
			t.Errorf("error %v, want the exit status and the output", err)
		}
	})
	t.Run("never ready", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		var cmd *exec.Cmd
		_, err := StartProcess(ctx, ProcessConfig{
			Name: "sleeper", ReadyPath: "/ready",
			Command: func(string) *exec.Cmd { cmd = exec.Command("sleep", "30"); return cmd },
		})
		if err == nil || !strings.Contains(err.Error(), "did not answer 200") {
			t.Fatalf("error %v, want one saying it did not answer 200", err)
		}
		if cmd.ProcessState == nil {
			t.Error("the process was left running")
		}
	})
	t.Run("missing binary", func(t *testing.T) {
		_, err := StartProcess(context.Background(), ProcessConfig{
			Name: "nothing", ReadyPath: "/ready",
			Command: func(string) *exec.Cmd { return exec.Command("/nonexistent/server") },
		})
		if err == nil || !strings.Contains(err.Error(), "start /nonexistent/server") {
			t.Errorf("error %v, want one naming the binary", err)
		}
	})
}

func TestLineWriter(t *testing.T) {
	var got []string
	w := &lineWriter{fn: func(line []byte) { got = append(got, string(line)) }}
	long := strings.Repeat("x", maxLine+10)
	for _, chunk := range []string{"one\ntw", "o\n", long + "\n", "three"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	w.flush()
	want := []string{"one", "two", long[:maxLine], "three"}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %d bytes %.20q, want %d bytes %.20q", i, len(got[i]), got[i], len(want[i]), want[i])
		}
	}
}

func TestListeningAddr(t *testing.T) {
	tests := []struct{ line, want string }{
		{`{"msg":"listening","addr":"127.0.0.1:8080"}`, "127.0.0.1:8080"},
		{`{"msg":"not listening","addr":"127.0.0.1:8080"}`, ""},
		{`{"msg":"listening","addr":"nowhere"}`, ""},
		{`listening on 127.0.0.1:8080`, ""},
	}
	for _, tt := range tests {
		if got := listeningAddr([]byte(tt.line)); got != tt.want {
			t.Errorf("listeningAddr(%s) = %q, want %q", tt.line, got, tt.want)
		}
	}
}
