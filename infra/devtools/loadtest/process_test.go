package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the servers Start runs: with childEnv set it
// becomes one of them instead of running the tests.
const childEnv = "LOADTEST_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "floor":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		err := ServeFloor(ctx, "127.0.0.1:0", 100, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "bad-config":
		fmt.Fprintln(os.Stderr, `{"level":"ERROR","msg":"S3PRESIGN_BUCKET is required"}`)
		os.Exit(3)
	case "silent":
		// Never logs an address; Start must give up at its timeout.
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(2)
}

func child(t *testing.T, mode string) ProcessConfig {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return ProcessConfig{Name: mode, Path: exe, Env: []string{childEnv + "=" + mode}, ReadyPath: "/readyz", Timeout: 5 * time.Second}
}

func TestStartWaitsForReadinessAndStopExitsCleanly(t *testing.T) {
	p, err := Start(context.Background(), child(t, "floor"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Ready <= 0 || !strings.HasPrefix(p.Addr, "127.0.0.1:") {
		t.Errorf("got ready after %s on %q; want > 0 on 127.0.0.1", p.Ready, p.Addr)
	}
	status, body, err := Exchange(context.Background(), "http://"+p.Addr, UploadRequest(""))
	if err != nil || status != http.StatusOK || len(body) != 100 {
		t.Errorf("got %d with %d bytes (%v); want 200 with the floor's 100 bytes", status, len(body), err)
	}
	if s, err := ReadProc(p.Pid()); err != nil || s.RSS <= 0 {
		t.Errorf("ReadProc: %+v, %v", s, err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if got := p.Logs(); got.Lines != 1 || got.Errors != 0 {
		t.Errorf("got log %+v, want the one listening line", got)
	}
}

func TestStartFailsWhenTheServerExits(t *testing.T) {
	_, err := Start(context.Background(), child(t, "bad-config"))
	if err == nil || !strings.Contains(err.Error(), "before logging its listening address") || !strings.Contains(err.Error(), "S3PRESIGN_BUCKET is required") {
		t.Errorf("got %v, want an error that quotes the server's log", err)
	}
}

func TestStartGivesUpWhenNoAddressIsLogged(t *testing.T) {
	pc := child(t, "silent")
	pc.Timeout = 300 * time.Millisecond
	_, err := Start(context.Background(), pc)
	if err == nil || !strings.Contains(err.Error(), "no listening address") {
		t.Errorf("got %v, want a timeout error", err)
	}
}

func TestLogSinkCountsLevels(t *testing.T) {
	s := newLogSink()
	for _, line := range []string{
		`{"level":"INFO","msg":"credentials resolved"}`,
		`{"level":"INFO","msg":"listening","addr":"127.0.0.1:4321"}`,
		`{"level":"WARN","msg":"slow"}`,
		`{"level":"ERROR","msg":"panic"}`,
		`{"level":"INFO","msg":"request"}`,
	} {
		s.add([]byte(line))
	}
	got := s.summary()
	if got.Lines != 5 || got.Warnings != 1 || got.Errors != 1 || len(got.Notable) != 2 {
		t.Errorf("got %+v, want 5 lines, 1 warning, 1 error, 2 notable", got)
	}
}

func TestFloorBodyHasTheAskedSize(t *testing.T) {
	for _, n := range []int{12, 100, 700} {
		if b := FloorBody(n); len(b) != n || b[0] != '{' || b[n-1] != '}' {
			t.Errorf("FloorBody(%d) = %d bytes %q", n, len(b), b)
		}
	}
}
