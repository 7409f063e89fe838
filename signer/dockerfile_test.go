package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd   string // upper case: FROM, RUN, USER, ...
	args  string
	stage int // index of the FROM it belongs to
	line  int
}

// parseDockerfile reads instructions, skipping comments and blank lines and
// joining lines that end in a backslash.
func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		out   []instruction
		cur   strings.Builder
		start int
		stage = -1
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if body, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, instruction{cmd: cmd, args: strings.TrimSpace(args), stage: stage, line: start})
		cur.Reset()
	}
	return out
}

// checkDockerfile returns every way the instructions break the rules.
func checkDockerfile(ins []instruction) []string {
	var probs []string
	fail := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	last := 0
	for _, in := range ins {
		last = max(last, in.stage)
	}
	if last < 1 {
		fail("want a multi-stage build, got %d stage(s)", last+1)
	}
	var (
		finalUser, healthcheck, entrypoint string
		buildRuns                          int
	)
	for _, in := range ins {
		switch in.cmd {
		case "FROM":
			image := strings.Fields(in.args)[0]
			if !strings.Contains(image, ":") || !strings.Contains(image, "@sha256:") {
				fail("line %d: base image %q is not pinned by tag and digest", in.line, image)
			}
			if in.stage == last && !strings.HasPrefix(image, "gcr.io/distroless/static-debian12:nonroot@") {
				fail("line %d: final stage is %q, want distroless static (CA certificates, no shell)", in.line, image)
			}
		case "ADD":
			if strings.Contains(in.args, "://") || strings.Contains(in.args, "git@") {
				fail("line %d: remote ADD %q", in.line, in.args)
			}
		case "RUN":
			if strings.Contains(in.args, "go build") {
				fail("line %d: builds with its own command %q; use build.sh", in.line, in.args)
			}
			if strings.Contains(in.args, "./build.sh") {
				buildRuns++
			}
			if in.stage == last {
				fail("line %d: RUN in the final stage (it has no shell)", in.line)
			}
		case "USER":
			if in.stage == last {
				finalUser = in.args
			}
		case "HEALTHCHECK":
			healthcheck = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		}
	}
	switch u, _, _ := strings.Cut(finalUser, ":"); u {
	case "":
		fail("the final stage sets no USER: it would run as root")
	case "root", "0":
		fail("the final stage runs as %q", finalUser)
	}
	if buildRuns != 1 {
		fail("build.sh is run %d times, want once", buildRuns)
	}
	if !strings.Contains(healthcheck, `CMD ["/signer", "healthcheck"]`) {
		fail("HEALTHCHECK %q does not run the binary's healthcheck (exec form, no shell)", healthcheck)
	}
	if entrypoint != `["/signer"]` {
		fail("ENTRYPOINT %q, want [\"/signer\"]", entrypoint)
	}
	return probs
}

func TestDockerfile(t *testing.T) {
	for _, p := range checkDockerfile(parseDockerfile(t, "Dockerfile")) {
		t.Error(p)
	}
}

// TestDockerfileCheckCatchesBreakage is the check's own control: a
// Dockerfile that breaks every rule is flagged for each.
func TestDockerfileCheckCatchesBreakage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Dockerfile")
	bad := "FROM golang:1.26 AS build\n" +
		"ADD https://example.com/tool.tgz /tmp/\n" +
		"RUN CGO_ENABLED=0 \\\n  go build -o /out/signer .\n" +
		"FROM debian:12\n" +
		"RUN apt-get update\n" +
		"USER root\n" +
		"HEALTHCHECK CMD curl -f http://localhost:8080/healthz\n" +
		"ENTRYPOINT /signer\n"
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	probs := strings.Join(checkDockerfile(parseDockerfile(t, path)), "\n")
	for _, want := range []string{"not pinned", "want distroless", "remote ADD", "its own command", "RUN in the final stage",
		`runs as "root"`, "run 0 times", "HEALTHCHECK", "ENTRYPOINT"} {
		if !strings.Contains(probs, want) {
			t.Errorf("a broken Dockerfile is not flagged for %q; got:\n%s", want, probs)
		}
	}
}

func TestBuildScriptIsTheOneBuildCommand(t *testing.T) {
	script, err := os.ReadFile("build.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "go build", "-X main.version=", "-X main.commit="} {
		if !bytes.Contains(script, []byte(want)) {
			t.Errorf("build.sh lacks %q", want)
		}
	}
	makefile, err := os.ReadFile(filepath.Join("..", "Makefile"))
	if err != nil {
		t.Skipf("no Makefile beside the signer module: %v", err)
	}
	if !bytes.Contains(makefile, []byte("signer/build.sh")) {
		t.Error("the Makefile does not build with signer/build.sh")
	}
	if bytes.Contains(makefile, []byte("go build -C signer")) || bytes.Contains(makefile, []byte("go build ./signer")) {
		t.Error("the Makefile builds the signer with its own command")
	}
}

func TestDockerignoreKeepsTheBuildInputs(t *testing.T) {
	data, err := os.ReadFile(".dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for l := range strings.SplitSeq(string(data), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{"*", "!go.mod", "!go.sum", "!build.sh", "!*.go", "!config/", "!internal/", "**/*_test.go"} {
		if !lines[want] {
			t.Errorf(".dockerignore lacks %q", want)
		}
	}
}

// TestBuildScript runs build.sh as the Makefile does and checks the binary:
// static (no ELF interpreter), version and commit stamped in.
func TestBuildScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	out := filepath.Join(t.TempDir(), "signer")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "build.sh", out)
	cmd.Env = append(os.Environ(), "VERSION=v0.0.0-test", "COMMIT=abc1234")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has an ELF interpreter: it is not static")
		}
	}
	b, err := exec.CommandContext(ctx, out, "-version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "signer v0.0.0-test (commit abc1234,") {
		t.Errorf("-version printed %q", b)
	}
}
