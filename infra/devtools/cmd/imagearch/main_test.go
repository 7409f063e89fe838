package main

import (
	"strings"
	"testing"
)

// The committed environments run on x86-64 (cpuArchitecture's default).
func TestCommittedEnvironmentsBuildAMD64(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		var out strings.Builder
		if err := run([]string{"-env", env}, &out); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out.String()); got != "amd64" {
			t.Errorf("%s: got %q, want amd64", env, got)
		}
	}
}

// The control: an unknown environment is an error, not a default.
func TestUnknownEnvironmentFails(t *testing.T) {
	var out strings.Builder
	if err := run([]string{"-env", "nope"}, &out); err == nil || out.Len() != 0 {
		t.Errorf("got %q, %v; want an error and no output", out.String(), err)
	}
}
