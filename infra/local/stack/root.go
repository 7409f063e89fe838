package stack

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// rootModule is the module path declared by the repository's root go.mod.
const rootModule = "github.com/s3presign/s3presign"

// RepoRoot walks up from the working directory to the folder whose go.mod
// declares the root module. `make run` resolves cdk.json, .bin and .local
// from it, and so do the tests, whose working directory is their package.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for range 64 { // bounded: no path is this deep
		if moduleOf(filepath.Join(dir, "go.mod")) == rootModule {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("repository root (go.mod of %s) not found above the working directory", rootModule)
}

// moduleOf returns the module path a go.mod file declares, or "".
func moduleOf(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
