// Package golden is the one normalisation of synthesized templates that the
// golden templates in infra/testdata are written with, compared with (the
// golden test in infra/stacks) and diffed with (`make diff`): every CDK
// content hash (64 hex digits: the signer image's tag, file asset keys)
// becomes a placeholder. A change to the signer's binary changes its image
// hash and nothing else, so it leaves infra/testdata untouched.
package golden

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Placeholder stands for every content hash in a normalised template.
const Placeholder = "<asset-hash>"

// assetHash matches the SHA-256 hex digests the CDK uses as asset hashes.
var assetHash = regexp.MustCompile(`\b[0-9a-f]{64}\b`)

// Normalize replaces every asset hash in a template with Placeholder.
func Normalize(template []byte) []byte {
	return assetHash.ReplaceAll(template, []byte(Placeholder))
}

// NormalizeAssembly copies the cloud assembly in src to dst with every
// *.template.json normalised, for `cdk diff --app dst --template golden`.
// Staged asset folders (asset.*) are left out: a diff does not build them.
func NormalizeAssembly(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." && strings.HasPrefix(d.Name(), "asset.") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(d.Name(), ".template.json") {
			b = Normalize(b)
		}
		if err := os.WriteFile(filepath.Join(dst, rel), b, 0o644); err != nil {
			return fmt.Errorf("golden: %w", err)
		}
		return nil
	})
}
