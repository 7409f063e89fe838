package reporoot_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/reporoot"
)

func TestRootIsFoundFromAnySubfolder(t *testing.T) {
	root, err := reporoot.Find()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cdk.json")); err != nil {
		t.Errorf("root %s has no cdk.json: %v", root, err)
	}
	for _, sub := range []string{"infra", "signer/config", "signer/reporoot"} {
		got, err := reporoot.From(filepath.Join(root, sub))
		if err != nil || got != root {
			t.Errorf("From(%s) = %q, %v; want %q", sub, got, err, root)
		}
	}
	// signer/ has its own go.mod (another module): the walk goes past it.
	if dir, err := reporoot.SignerDir(root); err != nil || dir != filepath.Join(root, "signer") {
		t.Errorf("SignerDir = %q, %v", dir, err)
	}
}

func TestRootOutsideTheRepositoryIsAnError(t *testing.T) {
	if _, err := reporoot.From(t.TempDir()); err == nil || !strings.Contains(err.Error(), reporoot.Module) {
		t.Errorf("got %v, want an error naming the module", err)
	}
	if _, err := reporoot.SignerDir(t.TempDir()); err == nil {
		t.Error("SignerDir of an empty folder: got no error")
	}
}
