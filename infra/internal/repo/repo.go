// Package repo finds the repository root, so that paths such as the signer's
// container build context resolve the same from `cdk synth` (cwd: the root)
// and from `go test` (cwd: the package folder).
package repo

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Module is the root module's path; its go.mod marks the repository root.
const Module = "github.com/s3presign/s3presign"

// Root walks up from the working directory to the folder whose go.mod
// declares Module.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return RootFrom(dir)
}

// RootFrom walks up from dir to the folder whose go.mod declares Module.
func RootFrom(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for range 64 { // bounded: no path is this deep
		if module(filepath.Join(dir, "go.mod")) == Module {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("repository root (go.mod of %s) not found above the working directory", Module)
}

// module returns the module path declared by a go.mod file, or "".
func module(path string) string {
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

// SignerDir returns the signer's folder (the container build context).
func SignerDir(root string) (string, error) {
	dir := filepath.Join(root, "signer")
	if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err != nil {
		return "", errors.Join(fmt.Errorf("signer Dockerfile not found under %s", dir), err)
	}
	return dir, nil
}
