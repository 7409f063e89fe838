package s3test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/s3presign/s3presign/signer/reporoot"
)

// BinDirEnv names the directory holding the tools `make tools` builds; the
// Makefile exports it for every test run.
const BinDirEnv = "S3PRESIGN_BIN_DIR"

// FindBinary returns the versitygw binary: $S3PRESIGN_BIN_DIR/versitygw when
// that variable is set, else .bin/versitygw in the repository root (found
// with reporoot). The error says to run `make tools`.
func FindBinary() (string, error) {
	bin := ""
	if dir := os.Getenv(BinDirEnv); dir != "" {
		bin = filepath.Join(dir, "versitygw")
		if !isFile(bin) {
			return "", fmt.Errorf("%w (looked for %s, from $%s)", errNoBinary, bin, BinDirEnv)
		}
		return bin, nil
	}
	root, err := reporoot.Find()
	if err != nil {
		return "", fmt.Errorf("%w (%v)", errNoBinary, err)
	}
	if bin = filepath.Join(root, ".bin", "versitygw"); !isFile(bin) {
		return "", fmt.Errorf("%w (looked for %s)", errNoBinary, bin)
	}
	return bin, nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
