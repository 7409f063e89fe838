package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunRefusesUnknownCommands(t *testing.T) {
	for _, args := range [][]string{{"loadtest"}, {"loadtest", "benchmark"}} {
		var stderr bytes.Buffer
		err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{}, &stderr)
		if err == nil || !strings.Contains(stderr.String(), "usage: loadtest bench|soak|profile|floor") {
			t.Errorf("run(%q): got %v with %q, want an error and the usage", args, err, stderr.String())
		}
	}
}

func TestEnvFlagWantsNameEqualsValue(t *testing.T) {
	var e envList
	for _, v := range []string{"S3PRESIGN_LOG_LEVEL=warn", "EMPTY="} {
		if err := e.Set(v); err != nil {
			t.Errorf("Set(%q): %v", v, err)
		}
	}
	for _, v := range []string{"S3PRESIGN_LOG_LEVEL", "=warn"} {
		if err := e.Set(v); err == nil {
			t.Errorf("Set(%q): got no error", v)
		}
	}
	if got := e.String(); got != "S3PRESIGN_LOG_LEVEL=warn,EMPTY=" {
		t.Errorf("got %q", got)
	}
}

func TestBenchFailsClearlyWithoutTheSigner(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"loadtest", "bench", "-signer", t.TempDir() + "/nope", "-out", t.TempDir()},
		func(string) string { return "" }, &bytes.Buffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("got %v, want an error that says to run make build", err)
	}
}
