package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/api"
	"github.com/s3presign/s3presign/signer/internal/auth"
)

// buildSigner builds the signer binary with build.sh, the one build command,
// into a temporary directory.
func buildSigner(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "signer")
	cmd := exec.Command("sh", "build.sh", bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, out)
	}
	return bin
}

// procLog reads the signer process's JSON log: it reports the listening
// address and the "shutting down" and "stopped" lines, and counts access-log
// lines by route and status.
type procLog struct {
	listening    chan string
	shuttingDown chan struct{}
	stopped      atomic.Bool

	mu       sync.Mutex
	requests map[string]int // "route status" -> count
	lines    []string       // every line, for failure reports
}

func readProcLog(r io.Reader) *procLog {
	l := &procLog{listening: make(chan string, 1), shuttingDown: make(chan struct{}), requests: map[string]int{}}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var m struct {
				Msg, Addr, Route string
				Status           int
			}
			line := sc.Text()
			if json.Unmarshal([]byte(line), &m) != nil {
				continue
			}
			l.mu.Lock()
			l.lines = append(l.lines, line)
			if m.Msg == api.MsgRequest || m.Msg == auth.AuditMessage { // one line per request
				l.requests[fmt.Sprintf("%s %d", m.Route, m.Status)]++
			}
			l.mu.Unlock()
			switch m.Msg {
			case "listening":
				l.listening <- m.Addr
			case "shutting down":
				close(l.shuttingDown)
			case "stopped":
				l.stopped.Store(true)
			}
		}
	}()
	return l
}

func (l *procLog) counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.requests {
		out[k] = v
	}
	return out
}

// loadResult is what the load clients saw.
type loadResult struct {
	created   atomic.Int64 // 201 answers
	other     atomic.Int64 // any other status: a failure
	beforeErr atomic.Int64 // connection errors before SIGTERM: a failure
	afterErr  atomic.Int64 // connection errors after SIGTERM (refused, closed)
	mu        sync.Mutex
	errKinds  map[string]int
}

func (r *loadResult) connErr(afterSignal bool, err error) {
	if afterSignal {
		r.afterErr.Add(1)
	} else {
		r.beforeErr.Add(1)
	}
	kind := "other"
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		kind = "refused"
	case errors.Is(err, syscall.ECONNRESET):
		kind = "reset"
	case errors.Is(err, io.EOF), strings.Contains(err.Error(), "EOF"):
		kind = "closed (EOF)"
	case strings.Contains(err.Error(), "server closed idle connection"):
		kind = "closed idle"
	}
	r.mu.Lock()
	r.errKinds[kind]++
	r.mu.Unlock()
}

// TestSIGTERMUnderLoad starts the real signer binary, runs a bounded load
// (32 clients with keep-alive, 200 uploads each at most) plus four requests
// whose bodies are held half-sent across the signal, and sends SIGTERM
// once 1000 answers have come back. It proves with counts that:
//   - every request the signer accepted was answered 201, and the client got
//     that answer (clients' 201 count = the signer's access-log 201 count,
//     no other status anywhere);
//   - the requests in flight at the signal complete with 201;
//   - new connections are refused once draining starts;
//   - the process exits 0 within the drain timeout (5s here).
//
// Clients' other outcomes after the signal are connection errors for
// requests the signer never read (refused, or an idle keep-alive
// connection closed as the request was sent).
func TestSIGTERMUnderLoad(t *testing.T) {
	skipSlow(t, "builds the signer binary and signals it under load")
	t.Parallel()
	bin := buildSigner(t)
	env := reliabilityEnv()
	env["S3PRESIGN_SHUTDOWN_TIMEOUT"] = "5s"
	env["S3PRESIGN_LOG_LEVEL"] = "info"
	cmd := exec.Command(bin)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	logs := readProcLog(stderr)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			logs.mu.Lock()
			t.Logf("signer log (last lines):\n%s", strings.Join(logs.lines[max(0, len(logs.lines)-40):], "\n"))
			logs.mu.Unlock()
		}
	})
	var addr string
	select {
	case addr = <-logs.listening:
	case err := <-exited:
		t.Fatalf("signer exited before listening: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("signer did not log \"listening\" within 15s")
	}
	base := "http://" + addr
	body := `{"fileName":"a.png","contentType":"image/png","size":5}`

	const (
		clients   = 32
		perClient = 200
		signalAt  = 1000 // answers before SIGTERM
		held      = 4    // requests with bodies held across the signal
	)
	res := &loadResult{errKinds: map[string]int{}}
	var (
		signalled  atomic.Bool
		answered   atomic.Int64
		signalNow  = make(chan struct{})
		signalOnce sync.Once
		release    = make(chan struct{}) // lets the held bodies finish
		wg         sync.WaitGroup
	)

	// The held requests: headers and half the body sent, the rest after the
	// signal, once new connections are refused.
	heldStatus := make(chan string, held)
	heldStarted := make(chan struct{}, held)
	for range held {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				heldStatus <- err.Error()
				return
			}
			defer c.Close()
			head := fmt.Sprintf("POST /v1/uploads HTTP/1.1\r\nHost: signer\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
			if _, err := io.WriteString(c, head+body[:len(body)/2]); err != nil {
				heldStatus <- err.Error()
				return
			}
			heldStarted <- struct{}{}
			<-release
			if _, err := io.WriteString(c, body[len(body)/2:]); err != nil {
				heldStatus <- err.Error()
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				heldStatus <- err.Error()
				return
			}
			resp.Body.Close()
			heldStatus <- resp.Status
		})
	}
	for range held {
		<-heldStarted
	}

	for range clients {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
			defer client.CloseIdleConnections()
			for range perClient {
				after := signalled.Load()
				resp, err := client.Post(base+"/v1/uploads", "application/json", strings.NewReader(body))
				if err != nil {
					res.connErr(after || signalled.Load(), err)
					if after || signalled.Load() {
						return // draining: this client is done
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					res.created.Add(1)
				} else {
					res.other.Add(1)
				}
				if answered.Add(1) == signalAt {
					signalOnce.Do(func() { close(signalNow) })
				}
			}
		})
	}

	select {
	case <-signalNow:
	case <-time.After(30 * time.Second):
		t.Fatalf("only %d answers within 30s", answered.Load())
	}
	signalled.Store(true)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-logs.shuttingDown:
	case <-time.After(5 * time.Second):
		t.Fatal("no \"shutting down\" line within 5s of SIGTERM")
	}
	// Draining: the listener is closed, so a new connection is refused,
	// while the held requests are still in flight.
	var refusedAfter time.Duration
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("new connection during the drain: %v, want connection refused", err)
			}
			refusedAfter = time.Since(sent)
			break
		}
		c.Close()
		if time.Since(sent) > 3*time.Second {
			t.Fatal("new connections still accepted 3s after SIGTERM")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select { // the held requests keep the process alive
	case err := <-exited:
		t.Fatalf("the signer exited (%v) with requests in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	wg.Wait()
	for range held {
		if s := <-heldStatus; s != "201 Created" {
			t.Errorf("a request in flight at SIGTERM got %q, want 201 Created", s)
		}
	}

	var exitErr error
	select {
	case exitErr = <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the signer did not exit within 10s of SIGTERM")
	}
	took := time.Since(sent)
	if exitErr != nil {
		t.Fatalf("exit: %v, want status 0", exitErr)
	}
	if took > 5*time.Second {
		t.Fatalf("exited %s after SIGTERM, beyond the 5s drain timeout", took)
	}
	// Let the log reader see the last lines.
	for deadline := time.Now().Add(2 * time.Second); !logs.stopped.Load() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if !logs.stopped.Load() {
		t.Error("no \"stopped\" log line")
	}

	counts := logs.counts()
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	logged201 := int64(counts["POST /v1/uploads 201"])
	if len(keys) != 1 || logged201 != res.created.Load()+held {
		t.Fatalf("the signer logged %v; clients got %d + %d held 201s", counts, res.created.Load(), held)
	}
	if n := res.other.Load(); n != 0 {
		t.Fatalf("%d answers other than 201", n)
	}
	if n := res.beforeErr.Load(); n != 0 {
		t.Fatalf("%d connection errors before SIGTERM", n)
	}
	t.Logf("SIGTERM under load: %d clients; %d answered 201 (+%d held across the signal, all 201); signer logged %d 201s and nothing else; "+
		"after the signal %d requests were not accepted %v; new connections refused %s after SIGTERM; exit 0 after %s (drain timeout 5s)",
		clients, res.created.Load(), held, logged201, res.afterErr.Load(), res.errKinds, refusedAfter.Round(time.Millisecond), took.Round(time.Millisecond))
}
