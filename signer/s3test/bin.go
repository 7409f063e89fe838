package s3test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// BinDirEnv names the directory holding the tools `make tools` builds; the
// Makefile exports it for every test run.
const BinDirEnv = "S3PRESIGN_BIN_DIR"

// rootModule is the module path of the repository's root go.mod.
const rootModule = "github.com/s3presign/s3presign"

// FindBinary returns the versitygw binary: $S3PRESIGN_BIN_DIR/versitygw when
// that variable is set, else .bin/versitygw in the repository root, found by
// walking up from the working directory. The error says to run `make tools`.
func FindBinary() (string, error) {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		bin := filepath.Join(dir, "versitygw")
		if !isFile(bin) {
			return "", fmt.Errorf("%w (looked for %s, from $%s)", errNoBinary, bin, BinDirEnv)
		}
		return bin, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	for dir := wd; ; {
		bin := filepath.Join(dir, ".bin", "versitygw")
		if isFile(bin) {
			return bin, nil
		}
		if isRepoRoot(dir) {
			return "", fmt.Errorf("%w (looked for %s)", errNoBinary, bin)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w (no .bin/versitygw above %s)", errNoBinary, wd)
		}
		dir = parent
	}
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// isRepoRoot reports whether dir holds the repository's root go.mod.
func isRepoRoot(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if mod, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(mod), `"`) == rootModule
		}
	}
	return false
}
