package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// keyFileSigner starts a signer in mode apikey whose keys come from a real
// file, reloaded every interval; it returns the signer, the file and one
// key (with its hash line) per caller.
func keyFileSigner(t *testing.T, interval string, callers ...string) (*signerProc, string, map[string]string, map[string]string) {
	t.Helper()
	keys, lines := map[string]string{}, map[string]string{}
	for _, c := range callers {
		keys[c], lines[c] = newAPIKey(t, c)
	}
	file := filepath.Join(t.TempDir(), "api-keys")
	writeKeys(t, file, lines["alice"])
	env := baseEnv()
	env["S3PRESIGN_AUTH_MODE"] = "apikey"
	env["S3PRESIGN_API_KEYS_FILE"] = file
	env["S3PRESIGN_API_KEYS_RELOAD_INTERVAL"] = interval
	return startSigner(t, env, runDeps{}), file, keys, lines
}

// writeKeys replaces the key file at once (rename), as a secret mount does.
func writeKeys(t *testing.T, file string, lines ...string) {
	t.Helper()
	tmp := file + ".new"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
}

// uploadStatus is the status of an upload request with key.
func uploadStatus(t *testing.T, p *signerProc, key string) int {
	t.Helper()
	resp, _ := send(t, "POST", p.URL+"/v1/uploads", pngUpload, withBearer(key)...)
	return resp.StatusCode
}

// waitStatus polls until an upload with key gets want, and fails after
// within; it returns how long it took.
func waitStatus(t *testing.T, p *signerProc, key string, want int, within time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if uploadStatus(t, p, key) == want {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: still not %d after %s", what, want, within)
		}
		time.Sleep(10 * time.Millisecond) // polling an outcome, not standing in for one
	}
}

// Keys come from a real file reloaded on a timer: an added key works, a
// removed one stops working within the interval (bounded here by a few
// intervals, for a loaded machine), and a broken file keeps the last good
// set, logging an error.
func TestAPIKeysReloadFromAFile(t *testing.T) {
	const interval = 200 * time.Millisecond
	p, file, keys, lines := keyFileSigner(t, interval.String(), "alice", "bob")
	if s := uploadStatus(t, p, keys["alice"]); s != 201 {
		t.Fatalf("control: alice's key from the file: %d", s)
	}
	if s := uploadStatus(t, p, keys["bob"]); s != 401 {
		t.Fatalf("bob's key is not in the file yet: %d, want 401", s)
	}

	writeKeys(t, file, lines["alice"], lines["bob"])
	waitStatus(t, p, keys["bob"], 201, 10*interval, "an added key")

	writeKeys(t, file, lines["bob"])
	took := waitStatus(t, p, keys["alice"], 401, 10*interval, "a removed key")
	t.Logf("a removed key stopped working after %s (interval %s)", took, interval)
	if s := uploadStatus(t, p, keys["bob"]); s != 201 {
		t.Fatalf("control: the remaining key: %d", s)
	}

	writeKeys(t, file, "bob:not-a-hash")
	deadline := time.Now().Add(10 * interval)
	for !strings.Contains(p.logs.String(), "API keys not reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("no error logged for a broken key file:\n%s", p.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := uploadStatus(t, p, keys["bob"]); s != 201 {
		t.Fatalf("a broken file dropped the last good set: bob got %d", s)
	}
	if s := uploadStatus(t, p, keys["alice"]); s != 401 {
		t.Fatalf("a broken file brought back a removed key: alice got %d", s)
	}
	if strings.Contains(p.logs.String(), "not-a-hash") || strings.Contains(p.logs.String(), keys["bob"]) {
		t.Error("the log holds key file contents or a key")
	}
}

// SIGHUP reloads at once: with an hour between timed reloads, a removed
// key stops working right after the signal.
func TestAPIKeysReloadOnSIGHUP(t *testing.T) {
	p, file, keys, lines := keyFileSigner(t, "1h", "alice", "bob")
	writeKeys(t, file, lines["bob"])
	if s := uploadStatus(t, p, keys["alice"]); s != 201 {
		t.Fatalf("before the signal the old set is in force: alice got %d", s)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, keys["alice"], 401, 5*time.Second, "a key removed before SIGHUP")
	if s := uploadStatus(t, p, keys["bob"]); s != 201 {
		t.Fatalf("control: the added key after SIGHUP: %d", s)
	}
}

// A key file that cannot be read or parsed stops the start, naming the
// setting; its contents are not echoed.
func TestAPIKeysFileRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("alice:secretish-not-a-hash\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{filepath.Join(dir, "missing"), bad} {
		env := baseEnv()
		env["S3PRESIGN_AUTH_MODE"] = "apikey"
		env["S3PRESIGN_API_KEYS_FILE"] = file
		err := runWith(t.Context(), []string{"signer"}, getenvOf(env), &strings.Builder{}, &strings.Builder{}, runDeps{})
		if err == nil || !strings.Contains(err.Error(), "S3PRESIGN_API_KEYS_FILE") || strings.Contains(err.Error(), "secretish") {
			t.Errorf("%s: %v", file, err)
		}
	}
}
