package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Durations in the signer's log read as people write them: settings as
// Go duration strings ("1m0s", "2s"), measured times as milliseconds in a
// field ending in _ms. slog.Duration would print nanoseconds
// ("interval":60000000000), so the start and stop lines are checked, and
// no source file may use slog.Duration.
func TestLogDurationsAreReadable(t *testing.T) {
	env := baseEnv()
	env["S3PRESIGN_METRICS_INTERVAL"] = "1m"
	env["S3PRESIGN_SHUTDOWN_TIMEOUT"] = "2s"
	p := startSigner(t, env, runDeps{})
	if status, _ := call(t, "GET", p.URL+"/healthz", ""); status != 200 {
		t.Fatalf("healthz: %d", status)
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{
		"metrics on":    {"interval": "1m0s"},
		"shutting down": {"timeout": "2s"},
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(p.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		msg, _ := m["msg"].(string)
		for k, v := range want[msg] {
			seen[msg] = true
			if m[k] != v {
				t.Errorf("%q line: %s = %v (%T), want %q", msg, k, m[k], m[k], v)
			}
		}
		if d, ok := m["duration_ms"]; ok {
			if _, isNum := d.(float64); !isNum {
				t.Errorf("duration_ms = %v, want a number of milliseconds", d)
			}
		}
	}
	for msg := range want {
		if !seen[msg] {
			t.Errorf("no %q line in the log:\n%s", msg, p.logs)
		}
	}

	uses := regexp.MustCompile(`slog\.Duration\(`)
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && uses.Match(b) {
			t.Errorf("%s logs a slog.Duration (nanoseconds in JSON): log d.String() or a _ms number", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
