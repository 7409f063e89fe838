package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// credsEndpoint is a container credentials endpoint (what the ECS agent
// serves at AWS_CONTAINER_CREDENTIALS_FULL_URI) that a test switches between
// serving credentials, failing, answering slowly and hanging.
type credsEndpoint struct {
	srv     *httptest.Server
	release chan struct{} // ends hung calls when the test is over

	mu        sync.Mutex
	mode      string        // "ok", "fail", "slow" or "hang"
	expiresIn time.Duration // lifetime of the credentials served (negative: already expired)
	delay     time.Duration // how long "slow" waits before it answers

	calls    atomic.Int64
	badToken atomic.Int64 // calls without the expected Authorization token
}

const (
	faultToken        = "test-container-token"
	faultAccessKey    = "ASIAFAULTTEST"
	faultSessionToken = "fault-session-token"
)

func newCredsEndpoint(t *testing.T) *credsEndpoint {
	t.Helper()
	e := &credsEndpoint{release: make(chan struct{}), mode: "ok", expiresIn: 8 * time.Minute}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(func() {
		close(e.release)
		e.srv.Close()
	})
	return e
}

// set switches the endpoint's behaviour.
func (e *credsEndpoint) set(mode string, expiresIn, delay time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mode, e.expiresIn, e.delay = mode, expiresIn, delay
}

func (e *credsEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	e.calls.Add(1)
	if r.Header.Get("Authorization") != faultToken {
		e.badToken.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	e.mu.Lock()
	mode, expiresIn, delay := e.mode, e.expiresIn, e.delay
	e.mu.Unlock()
	switch mode {
	case "fail":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"code":"InternalError","message":"credentials agent is down"}`)
		return
	case "hang": // accept the call, never answer
		select {
		case <-e.release:
		case <-r.Context().Done():
		}
		return
	case "slow":
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"AccessKeyId":     faultAccessKey,
		"SecretAccessKey": "fault-secret-key",
		"Token":           faultSessionToken,
		"Expiration":      time.Now().Add(expiresIn).UTC().Format(time.RFC3339),
	})
}

// containerEnv is the signer's environment with container credentials from
// e instead of static keys.
func containerEnv(e *credsEndpoint) map[string]string {
	env := reliabilityEnv()
	delete(env, "AWS_ACCESS_KEY_ID")
	delete(env, "AWS_SECRET_ACCESS_KEY")
	env[envContainerFullURI] = e.srv.URL + "/v2/credentials/test"
	env[envContainerToken] = faultToken
	return env
}

// answer is one response of the signer, timed.
type answer struct {
	status int
	body   string
	took   time.Duration
}

// faultRequest is the request of one kind: "upload", "upload-long" (asks
// for an hour), "download", "compat" or "readyz".
func faultRequest(kind string) (method, target, body string) {
	switch kind {
	case "upload-long":
		return "POST", "/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5,"expiresIn":3600}`
	case "download":
		return "POST", "/v1/downloads", `{"key":"uploads/aaaaaaaaaaaaaaaaaaaaaaaaaa/a.png"}`
	case "compat":
		return "GET", "/signed-url-upload?fileName=a&extension=png&mediaType=image", ""
	case "readyz":
		return "GET", "/readyz", ""
	}
	return "POST", "/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`
}

// issue sends one request of a kind (see faultRequest) and times it.
func issue(t *testing.T, p *signerProc, kind string) answer {
	t.Helper()
	method, target, body := faultRequest(kind)
	start := time.Now()
	a, err := tryCallBody(method, p.URL+target, body)
	if err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	a.took = time.Since(start)
	return a
}

// issueAll sends readyz, upload, download and compat requests at once and
// returns the answers by kind.
func issueAll(t *testing.T, p *signerProc) map[string]answer {
	t.Helper()
	kinds := []string{"readyz", "upload", "download", "compat"}
	out := make([]answer, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, k := range kinds {
		wg.Go(func() {
			method, target, body := faultRequest(k)
			start := time.Now()
			out[i], errs[i] = tryCallBody(method, p.URL+target, body)
			out[i].took = time.Since(start)
		})
	}
	wg.Wait()
	m := map[string]answer{}
	for i, k := range kinds {
		if errs[i] != nil {
			t.Fatalf("%s: %v", k, errs[i])
		}
		m[k] = out[i]
	}
	return m
}

// tryCallBody is tryCall that keeps the body.
func tryCallBody(method, target, body string) (answer, error) {
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b)}, err
}

// wantUnavailable checks a 503 "unavailable" JSON answer with the given
// message and no URL, within the time limit.
func wantUnavailable(t *testing.T, what string, a answer, message string, within time.Duration) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if a.status != http.StatusServiceUnavailable || json.Unmarshal([]byte(a.body), &e) != nil ||
		e.Error.Code != "unavailable" || !strings.Contains(e.Error.Message, message) {
		t.Fatalf("%s: %d %s, want 503 unavailable %q", what, a.status, a.body, message)
	}
	if strings.Contains(a.body, "X-Amz-") || strings.Contains(a.body, faultAccessKey) || strings.Contains(a.body, "agent is down") {
		t.Fatalf("%s: the refusal leaks a URL, a key or the provider's cause: %s", what, a.body)
	}
	if a.took > within {
		t.Fatalf("%s took %s, want at most %s", what, a.took, within)
	}
}

// wantSigned checks a successful answer: a URL signed with the endpoint's
// credentials whose lifetime is at most maxLife, and returns its
// X-Amz-Expires.
func wantSigned(t *testing.T, what string, a answer, maxLife time.Duration) time.Duration {
	t.Helper()
	if a.status != http.StatusOK && a.status != http.StatusCreated {
		t.Fatalf("%s: %d %s, want a signed URL", what, a.status, a.body)
	}
	var resp struct {
		URL       string    `json:"url"`
		ExpiresAt time.Time `json:"expiresAt"`
	}
	if err := json.Unmarshal([]byte(a.body), &resp); err != nil {
		t.Fatalf("%s: %v in %s", what, err, a.body)
	}
	u, err := url.Parse(resp.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if !strings.HasPrefix(q.Get("X-Amz-Credential"), faultAccessKey+"/") || q.Get("X-Amz-Security-Token") != faultSessionToken {
		t.Fatalf("%s: not signed with the endpoint's credentials: %s", what, resp.URL)
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	life := time.Duration(secs) * time.Second
	if err != nil || life < time.Second || life > maxLife {
		t.Fatalf("%s: X-Amz-Expires %q, want 1s..%s", what, q.Get("X-Amz-Expires"), maxLife)
	}
	if !resp.ExpiresAt.IsZero() {
		date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
		if err != nil || !resp.ExpiresAt.Equal(date.Add(life)) {
			t.Fatalf("%s: expiresAt %s, want X-Amz-Date %s + %s", what, resp.ExpiresAt, q.Get("X-Amz-Date"), life)
		}
	}
	return life
}

// waitReady polls /readyz until it answers 200 and returns how long that
// took; it fails the test after limit.
func waitReady(t *testing.T, p *signerProc, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		status, _, err := tryGet(p.URL + "/readyz")
		if err == nil && status == http.StatusOK {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("/readyz not 200 within %s after the endpoint recovered (last %d, %v)", limit, status, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tryGet(target string) (int, string, error) {
	a, err := tryCallBody("GET", target, "")
	return a.status, a.body, err
}

// TestCredentialsEndpointFaults runs the signer with container credentials
// from an endpoint that fails, recovers, answers slowly, hangs and serves
// expired credentials. While the credentials cannot be had, /readyz and every
// URL route answer 503 "unavailable" within the retrieve timeout and issue
// nothing; when the endpoint serves again, both recover without a restart.
// The endpoint serves credentials that expire within the refresh window, so
// every request asks it again.
func TestCredentialsEndpointFaults(t *testing.T) {
	skipSlow(t, "waits out retrieve timeouts of a hung credentials endpoint (seconds)")
	t.Parallel()
	e := newCredsEndpoint(t)
	e.set("fail", 8*time.Minute, 0) // down when the signer starts
	p := startSigner(t, containerEnv(e), runDeps{})
	const within = 6 * time.Second // creds.RetrieveTimeout and a margin

	if !strings.Contains(p.logs.String(), "credentials unavailable at start") {
		t.Fatalf("no warning that the credentials were unavailable at start:\n%s", p.logs)
	}
	check := func(phase, message string) {
		t.Helper()
		var slowest time.Duration
		for k, a := range issueAll(t, p) {
			wantUnavailable(t, phase+": "+k, a, message, within)
			slowest = max(slowest, a.took)
		}
		t.Logf("%s: readyz, upload, download and compat all 503 %q, the slowest in %s", phase, message, slowest.Round(time.Millisecond))
	}
	recoverAll := func(phase string, limit time.Duration) {
		t.Helper()
		e.set("ok", 8*time.Minute, 0)
		took := waitReady(t, p, limit)
		for _, k := range []string{"upload", "download", "compat"} {
			wantSigned(t, phase+": "+k, issue(t, p, k), 5*time.Minute)
		}
		t.Logf("%s: ready again %s after the endpoint recovered", phase, took.Round(time.Millisecond))
	}

	check("down at start", "signing credentials are unavailable")
	recoverAll("after down at start", 10*time.Second)

	e.set("fail", 8*time.Minute, 0)
	check("endpoint failing", "signing credentials are unavailable")
	recoverAll("after failing", 10*time.Second)

	e.set("slow", 8*time.Minute, time.Second) // slow but within the timeouts
	a := issue(t, p, "upload")
	wantSigned(t, "slow endpoint", a, 5*time.Minute)
	if a.took < time.Second {
		t.Fatalf("slow endpoint: answered in %s, before the endpoint did", a.took)
	}
	t.Logf("slow endpoint (1s): upload 201 in %s", a.took.Round(time.Millisecond))

	e.set("hang", 8*time.Minute, 0)
	check("endpoint hanging", "signing credentials are unavailable")
	recoverAll("after hanging", 15*time.Second)

	e.set("ok", -time.Minute, 0) // serves credentials that have already expired
	check("expired credentials served", "signing credentials have expired")
	e.set("ok", 30*time.Second, 0) // valid, but too short-lived to sign with
	for _, k := range []string{"upload", "download", "compat"} {
		wantUnavailable(t, "credentials expiring in 30s: "+k, issue(t, p, k), "about to expire", within)
	}
	recoverAll("after expired", 10*time.Second)

	if n := e.badToken.Load(); n != 0 {
		t.Fatalf("%d calls reached the endpoint without AWS_CONTAINER_AUTHORIZATION_TOKEN", n)
	}
	t.Logf("credentials endpoint calls: %d", e.calls.Load())
}

// TestCredentialsExpiringSoonCapLifetime: credentials that expire in two
// minutes cap every URL's lifetime below two minutes (a minute's margin is
// kept), whatever the client asks for, and expiresAt says so; /readyz
// reports them as about to expire.
func TestCredentialsExpiringSoonCapLifetime(t *testing.T) {
	t.Parallel()
	e := newCredsEndpoint(t)
	e.set("ok", 2*time.Minute, 0)
	p := startSigner(t, containerEnv(e), runDeps{})

	for _, k := range []string{"upload", "upload-long", "download", "compat"} {
		life := wantSigned(t, "2-minute credentials: "+k, issue(t, p, k), time.Minute)
		if life < 50*time.Second {
			t.Fatalf("%s: lifetime %s, want about a minute", k, life)
		}
	}
	wantUnavailable(t, "2-minute credentials: readyz", issue(t, p, "readyz"), "about to expire", 6*time.Second)

	// Control: with 8 minutes left, the default lifetime (5m) is issued
	// and the signer is ready.
	e.set("ok", 8*time.Minute, 0)
	waitReady(t, p, 10*time.Second)
	if life := wantSigned(t, "8-minute credentials", issue(t, p, "upload"), 5*time.Minute); life != 5*time.Minute {
		t.Fatalf("8-minute credentials: lifetime %s, want the default 5m", life)
	}
}

// TestContainerCredentialsSettings: a full URI the SDK would refuse stops
// the start with an error naming the variable.
func TestContainerCredentialsSettings(t *testing.T) {
	t.Parallel()
	for _, uri := range []string{"http://169.254.169.254/latest", "http://example.com/creds", "ftp://127.0.0.1/x", "http://"} {
		env := reliabilityEnv()
		delete(env, "AWS_ACCESS_KEY_ID")
		delete(env, "AWS_SECRET_ACCESS_KEY")
		env[envContainerFullURI] = uri
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := run(ctx, []string{"signer"}, getenvOf(env), &strings.Builder{}, &strings.Builder{})
		cancel()
		if err == nil || !strings.Contains(err.Error(), envContainerFullURI) {
			t.Errorf("%s: got %v, want an error naming %s", uri, err, envContainerFullURI)
		}
	}
	for _, uri := range []string{"http://127.0.0.1:1/creds", "http://localhost/creds", "http://[::1]/x", "http://169.254.170.2/v2/credentials", "http://169.254.170.23/v1/credentials", "https://creds.example.com/x"} {
		if err := checkContainerURI(uri); err != nil {
			t.Errorf("%s refused: %v", uri, err)
		}
	}
}

// A secret pasted into the container credentials URI never reaches the error
// (and so stderr and the logs); the host still does, so the error stays useful.
func TestContainerURIErrorsHideUserInfo(t *testing.T) {
	t.Parallel()
	for _, uri := range []string{"http://AKID:s3cr3t@example.com/creds", "ftp://AKID:s3cr3t@127.0.0.1/x", "http://AKID:s3cr3t@%zz/x"} {
		err := checkContainerURI(uri)
		if err == nil {
			t.Errorf("%s accepted", uri)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "AKID") {
			t.Errorf("error echoes user info: %v", err)
		}
	}
	// Control: without user info the host is shown.
	if err := checkContainerURI("http://example.com/creds"); err == nil || !strings.Contains(err.Error(), "example.com") {
		t.Errorf("got %v, want an error naming example.com", err)
	}
}
