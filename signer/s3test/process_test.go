package s3test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a small server (see TestMain).
const helperEnv = "S3TEST_HELPER_ADDR"

// TestMain: with S3TEST_HELPER_ADDR set, the test binary is a server that
// prints a line, answers 200 on /ready and ignores SIGTERM (so Stop has to
// kill it).
func TestMain(m *testing.M) {
	if addr := os.Getenv(helperEnv); addr != "" {
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("helper listening on", addr)
		mux := http.NewServeMux()
		mux.HandleFunc("GET /ready", func(http.ResponseWriter, *http.Request) {})
		srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: time.Second}
		fmt.Fprintln(os.Stderr, srv.ListenAndServe())
		os.Exit(2)
	}
	os.Exit(m.Run())
}

func TestStartProcess(t *testing.T) {
	t.Run("control: ready, output kept and logged, Stop kills after the timeout", func(t *testing.T) {
		log := newTailBuffer(1 << 20) // safe for the output goroutines
		p, err := StartProcess(context.Background(), ProcessConfig{
			Name: "helper", ReadyPath: "/ready", Log: log, StopTimeout: 200 * time.Millisecond,
			Command: func(addr string) *exec.Cmd {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), helperEnv+"="+addr)
				return cmd
			},
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
		start := time.Now()
		p.Stop()
		p.Stop() // a second Stop is a no-op
		select {
		case <-p.Exited():
		default:
			t.Fatal("Stop returned before the process exited")
		}
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("stopped after %s: SIGTERM is ignored, so only the kill after the 200ms timeout ends it", d)
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
