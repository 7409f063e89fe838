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

// The one file the image holds, where image.sh stages it in the context.
const (
	imageBinarySource = "dist/signer-linux-${TARGETARCH}"
	imageBinaryPath   = "/signer"
)

// checkDockerfile returns every way the instructions break the rules: one
// stage FROM scratch (nothing to pull), the staged binary copied in and
// nothing else, no RUN (there is no shell), a numeric non-root USER, the
// binary as ENTRYPOINT. No HEALTHCHECK: the OCI format podman builds has
// none, so it would differ between builders; ECS's check is in the task
// definition.
func checkDockerfile(ins []instruction) []string {
	var probs []string
	fail := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	var (
		froms, copies    int
		finalUser, entry string
		sawTargetArch    bool
	)
	for _, in := range ins {
		switch in.cmd {
		case "FROM":
			froms++
			if in.args != "scratch" {
				fail("line %d: FROM %q, want scratch (no registry, no shell, no package manager)", in.line, in.args)
			}
		case "ARG":
			sawTargetArch = sawTargetArch || in.args == "TARGETARCH"
		case "ADD":
			fail("line %d: ADD %q; copy the staged binary with COPY", in.line, in.args)
		case "COPY":
			copies++
			if in.args != imageBinarySource+" "+imageBinaryPath {
				fail("line %d: COPY %q, want %q", in.line, in.args, imageBinarySource+" "+imageBinaryPath)
			}
		case "RUN":
			fail("line %d: RUN %q: the image has no shell; build outside with image.sh", in.line, in.args)
		case "USER":
			finalUser = in.args
		case "HEALTHCHECK":
			fail("line %d: HEALTHCHECK: the OCI image format drops it; ECS's check is in the task definition", in.line)
		case "ENTRYPOINT":
			entry = in.args
		}
	}
	if froms != 1 {
		fail("%d stages, want one (FROM scratch)", froms)
	}
	if copies != 1 {
		fail("%d COPY instructions, want one (the binary)", copies)
	}
	if !sawTargetArch {
		fail("no ARG TARGETARCH: the binary would not follow --platform")
	}
	uid, gid, _ := strings.Cut(finalUser, ":")
	switch {
	case finalUser == "":
		fail("no USER: it would run as root")
	case uid == "0" || uid == "root":
		fail("runs as %q", finalUser)
	case !isNumber(uid) || !isNumber(gid):
		fail("USER %q is not numeric uid:gid (the image has no /etc/passwd)", finalUser)
	}
	if entry != `["/signer"]` {
		fail("ENTRYPOINT %q, want [\"/signer\"]", entry)
	}
	return probs
}

func isNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
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
		"COPY --from=build /out/signer /signer\n" +
		"COPY ca.pem /etc/ssl/\n" +
		"USER nobody\n" +
		"HEALTHCHECK CMD curl -f http://localhost:8080/healthz\n" +
		"ENTRYPOINT /signer\n"
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	probs := strings.Join(checkDockerfile(parseDockerfile(t, path)), "\n")
	for _, want := range []string{"want scratch", "ADD", "RUN", "2 stages", "2 COPY", "want \"dist/", "TARGETARCH",
		"not numeric", "HEALTHCHECK", "ENTRYPOINT"} {
		if !strings.Contains(probs, want) {
			t.Errorf("a broken Dockerfile is not flagged for %q; got:\n%s", want, probs)
		}
	}
	root := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(root, []byte("FROM scratch\nARG TARGETARCH\nCOPY "+imageBinarySource+" "+imageBinaryPath+"\nUSER 0:0\nENTRYPOINT [\"/signer\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if probs := checkDockerfile(parseDockerfile(t, root)); len(probs) != 1 || !strings.Contains(probs[0], `runs as "0:0"`) {
		t.Errorf("USER 0:0: got %q, want only the root finding", probs)
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
	for _, want := range []string{"signer/image.sh build", "signer/image.sh stage"} {
		if !bytes.Contains(makefile, []byte(want)) {
			t.Errorf("the Makefile does not run %q (make image, make deploy)", want)
		}
	}
	image, err := os.ReadFile("image.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(image, []byte("./build.sh")) || bytes.Contains(image, []byte("go build")) {
		t.Error("image.sh must build the binary with build.sh, not its own go build")
	}
	if bytes.Contains(makefile, []byte("go build -C signer")) || bytes.Contains(makefile, []byte("go build ./signer")) {
		t.Error("the Makefile builds the signer with its own command")
	}
}

// TestDockerignoreLetsInOnlyTheBinaries: the context (signer/) holds the
// sources too, but the image needs only the staged binaries; anything else
// let in would change the CDK's asset hash without changing the image.
func TestDockerignoreLetsInOnlyTheBinaries(t *testing.T) {
	data, err := os.ReadFile(".dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for l := range strings.SplitSeq(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			rules = append(rules, l)
		}
	}
	want := []string{"*", "!dist/signer-linux-amd64", "!dist/signer-linux-arm64"}
	if strings.Join(rules, "\n") != strings.Join(want, "\n") {
		t.Errorf(".dockerignore rules %q, want %q", rules, want)
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
