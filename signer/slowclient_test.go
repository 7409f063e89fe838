package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// serverConns counts the goroutines serving HTTP connections in this
// process (net/http's (*conn).serve).
func serverConns() int {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	n := 0
	for _, rec := range strings.Split(b.String(), "\n\n") {
		if strings.Contains(rec, "net/http.(*conn).serve") {
			var count int
			if _, err := fmt.Sscanf(rec, "%d @", &count); err == nil {
				n += count
			}
		}
	}
	return n
}

// waitConns polls serverConns until it equals want and returns how long
// that took; it fails the test after limit.
func waitConns(t *testing.T, want int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := serverConns()
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%d connection goroutines after %s, want %d", got, limit, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSlowloris trickles a request's headers one byte a second. The
// server's ReadHeaderTimeout (5s, the production value) cuts the connection
// off: net/http answers a plain-text 400 and hangs up, and the serving
// goroutine is gone. A client sending its headers at once on another
// connection meanwhile is served (control).
//
// Not parallel: it counts this process's connection goroutines.
func TestSlowloris(t *testing.T) {
	skipSlow(t, "waits out the server's 5 s ReadHeaderTimeout")
	p := startSigner(t, reliabilityEnv(), runDeps{})
	base := serverConns()

	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	cut := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(c) // returns when the server hangs up
		cut <- b
	}()
	req := "GET /healthz HTTP/1.1\r\nHost: signer\r\nX-Slow: " + strings.Repeat("a", 30) + "\r\n\r\n"
	sent := 0
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
trickle:
	for sent < len(req) {
		if _, err := c.Write([]byte{req[sent]}); err != nil {
			break // the server has hung up
		}
		sent++
		if sent == 3 { // control: another client, whose connection is closed after its answer
			resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(p.URL + "/healthz")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("control on another connection: %v %v", resp, err)
			}
			resp.Body.Close()
		}
		select {
		case b := <-cut:
			cut <- b
			break trickle
		case <-ticker.C:
		case <-time.After(15 * time.Second):
			t.Fatal("never cut off")
		}
	}
	var answer []byte
	select {
	case answer = <-cut:
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not hang up within 15s")
	}
	took := time.Since(start)
	// net/http says 400 in plain text as it hangs up.
	if !bytes.HasPrefix(answer, []byte("HTTP/1.1 400 Bad Request\r\n")) || !bytes.Contains(answer, []byte("Connection: close")) {
		t.Fatalf("answer %q, want net/http's 400 and a hang-up", answer)
	}
	if took < readHeaderTimeout-time.Second || took > readHeaderTimeout+3*time.Second {
		t.Fatalf("cut off after %s (%d bytes sent), want about ReadHeaderTimeout (%s)", took, sent, readHeaderTimeout)
	}
	waitConns(t, base, 2*time.Second)
	t.Logf("slowloris: cut off after %s with %d of %d header bytes sent", took.Round(10*time.Millisecond), sent, len(req))
}

// TestClientsThatNeverRead: clients that send requests and never read the
// answers hold no goroutine beyond the server's timeouts. One sends a
// request and then sits on the open connection (ended by IdleTimeout); one
// pipelines thousands of requests without reading (its answers fill the
// socket buffers, and WriteTimeout ends the blocked write); one trickles its
// body (ReadTimeout ends it). The timeouts are shortened to 1-2s
// here; production uses 60s idle and 15s read and write, the same
// mechanism. The goroutine count returns to where it started while the
// clients still hold their connections open.
//
// Not parallel: it counts this process's connection goroutines.
func TestClientsThatNeverRead(t *testing.T) {
	skipSlow(t, "waits out the server's read, write and idle timeouts")
	shorten := func(s *http.Server) {
		s.ReadTimeout, s.WriteTimeout, s.IdleTimeout = 2*time.Second, time.Second, time.Second
	}
	p := startSigner(t, reliabilityEnv(), runDeps{server: shorten})
	base, baseAll := serverConns(), runtime.NumGoroutine()

	// 1. One request, answer never read, connection kept open.
	idle := dialT(t, p.Addr)
	body := `{"fileName":"a.png","contentType":"image/png","size":5}`
	one := fmt.Sprintf("POST /v1/uploads HTTP/1.1\r\nHost: signer\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	if _, err := io.WriteString(idle, one); err != nil {
		t.Fatal(err)
	}

	// 2. Pipelined requests, answers never read.
	piped := dialT(t, p.Addr)
	if tc, ok := piped.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10) // keep the client's window small
	}
	const pipelined = 5000
	go func() {
		w := bufio.NewWriter(piped)
		for range pipelined {
			if _, err := io.WriteString(w, one); err != nil {
				return
			}
		}
		_ = w.Flush()
	}()

	// 3. A body trickled a byte every 300ms.
	slow := dialT(t, p.Addr)
	slowAnswer := make(chan string, 1)
	go func() {
		head := fmt.Sprintf("POST /v1/uploads HTTP/1.1\r\nHost: signer\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		if _, err := io.WriteString(slow, head); err != nil {
			slowAnswer <- err.Error()
			return
		}
		go func() {
			for i := 0; i < len(body); i++ {
				if _, err := slow.Write([]byte{body[i]}); err != nil {
					return
				}
				time.Sleep(300 * time.Millisecond)
			}
		}()
		resp, err := http.ReadResponse(bufio.NewReader(slow), nil)
		if err != nil {
			slowAnswer <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		slowAnswer <- fmt.Sprintf("%d %s", resp.StatusCode, b)
	}()

	// All three are being served...
	for deadline := time.Now().Add(2 * time.Second); serverConns() < base+3; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connection goroutines, want %d while the three clients are served", serverConns(), base+3)
		}
	}
	// ...and then none is, though every client keeps its connection open.
	took := waitConns(t, base, 10*time.Second)
	// The trickled body's read fails at ReadTimeout. Its 400 cannot be
	// written: WriteTimeout (counted from the end of the headers) has
	// passed by then, so the client sees the connection close.
	var slowGot string
	select {
	case slowGot = <-slowAnswer:
		if slowGot != "unexpected EOF" && !(strings.HasPrefix(slowGot, "400 ") && strings.Contains(slowGot, "invalid_request")) {
			t.Fatalf("trickled body: got %q, want a hang-up or a 400 JSON error once ReadTimeout passes", slowGot)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("trickled body: the connection neither answered nor closed")
	}
	// The pipelining client got far fewer answers than it asked for: the
	// server stopped writing to it.
	answers := countAnswers(t, piped)
	if answers == 0 || answers >= pipelined {
		t.Fatalf("pipelining client: %d answers to %d requests, want some but not all", answers, pipelined)
	}
	// A new client is served as before (control).
	if status, _ := call(t, "GET", p.URL+"/healthz", ""); status != 200 {
		t.Fatalf("control after the slow clients: status %d", status)
	}
	t.Logf("clients that never read: connection goroutines back to %d within %s (all goroutines %d before, %d after); pipelining client got %d of %d answers; trickled body got %q",
		base, took.Round(10*time.Millisecond), baseAll, runtime.NumGoroutine(), answers, pipelined, slowGot)
}

func dialT(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// countAnswers reads what the server managed to send before it hung up and
// counts the status lines.
func countAnswers(t *testing.T, c net.Conn) int {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	var ne net.Error
	if err != nil && !(errors.As(err, &ne) && ne.Timeout()) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading the pipelined answers: %v", err)
	}
	return bytes.Count(b, []byte("HTTP/1.1 201 Created\r\n"))
}
