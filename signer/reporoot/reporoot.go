// Package reporoot is the project's one finder of the repository root, so
// that paths such as the signer's container build context or the tools in
// .bin resolve the same from `cdk synth` or `make` (cwd: the root) and from
// `go test` (cwd: the package folder). It lives in the signer module
// because both modules use it (s3test finds versitygw with it; the CDK app
// and the developer tools find cdk.json and the signer with it), and infra
// may import the signer module but not the other way round.
package reporoot

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

// Find walks up from the working directory to the folder whose go.mod
// declares Module.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return From(dir)
}

// From walks up from dir to the folder whose go.mod declares Module.
func From(dir string) (string, error) {
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
