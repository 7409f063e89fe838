package docs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeIn runs make with args on a copy of the repository's Makefile in a
// scratch directory (so nothing real is removed or built), with no AWS
// variables and HOME in the scratch directory. It returns the combined
// output and whether make succeeded.
func makeIn(t *testing.T, dir string, args ...string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	mf, err := os.ReadFile(filepath.Join(root(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), mf, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// make help into a pipe is plain text: no colour codes.
func TestMakeHelpHasNoColourInAPipe(t *testing.T) {
	out, ok := makeIn(t, t.TempDir(), "help")
	if !ok || !strings.Contains(out, "check") || !strings.Contains(out, "clean") {
		t.Fatalf("make help failed or lacks targets:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("make help printed colour codes into a pipe:\n%q", out)
	}
	// Control: on a terminal it does colour (script gives make a pty).
	if _, err := exec.LookPath("script"); err == nil {
		dir := t.TempDir()
		makeIn(t, dir) // writes the Makefile
		cmd := exec.Command("script", "-qec", "make --no-print-directory help", "/dev/null")
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TERM=xterm"}
		tty, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make help on a pty: %v\n%s", err, tty)
		}
		if !bytes.Contains(tty, []byte("\x1b[36m")) {
			t.Errorf("make help on a terminal has no colour:\n%q", tty)
		}
	}
}

// make clean removes the four directories, says what it removed, and
// leaves everything else; run again, it says there is nothing to remove.
func TestMakeCleanSaysWhatItRemoved(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{".local/s3", ".bin", "cdk.out", ".artifacts/bench", "keep"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, d, "f"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, ok := makeIn(t, dir, "clean")
	if !ok {
		t.Fatalf("make clean failed:\n%s", out)
	}
	for _, d := range []string{".local", ".bin", "cdk.out", ".artifacts"} {
		if !strings.Contains(out, "removed "+d+"/") {
			t.Errorf("make clean does not say it removed %s/:\n%s", d, out)
		}
		if _, err := os.Stat(filepath.Join(dir, d)); !os.IsNotExist(err) {
			t.Errorf("%s still exists after make clean", d)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "keep", "f")); err != nil {
		t.Errorf("make clean removed something else: %v", err)
	}
	if out, _ := makeIn(t, dir, "clean"); !strings.Contains(out, "nothing to remove") {
		t.Errorf("second make clean: %q, want it to say there is nothing to remove", out)
	}
}

// make guard-live without credentials stops at once with the fix, before
// installing the CDK CLI or synthesizing. Control: with a credentials
// file the check passes and make goes on to the CDK CLI the synth needs
// (which the scratch copy lacks: what matters is that it got there).
func TestGuardLiveChecksCredentialsFirst(t *testing.T) {
	dir := t.TempDir()
	out, ok := makeIn(t, dir, "guard-live")
	if ok || !strings.Contains(out, "make guard-live: no AWS credentials found") {
		t.Fatalf("make guard-live without credentials: ok=%v\n%s", ok, out)
	}
	for _, early := range []string{"npm ci", "cdk synth", "installing the pinned CDK CLI"} {
		if strings.Contains(out, early) {
			t.Errorf("make guard-live ran %q before checking credentials:\n%s", early, out)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, ".aws"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".aws", "credentials"), []byte("[default]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ = makeIn(t, dir, "guard-live")
	if strings.Contains(out, "no AWS credentials found") || !strings.Contains(out, "infra/_cdk-cli") {
		t.Errorf("with a credentials file, make guard-live should pass the check and go on to the CDK CLI and synth:\n%s", out)
	}
}
