package loadtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/reporoot"
)

// CI's short soak, so a leak or error under load fails every build: the real signer binary on loopback, 20 s at 64
// connections. `make soak` runs the same for 5 minutes.
const (
	ciSoakDuration    = 20 * time.Second
	ciSoakConnections = 64
)

// needSigner returns the signer binary: $S3PRESIGN_BIN_DIR/signer, else
// <repo>/.bin/signer. Under make (which sets S3PRESIGN_BIN_DIR and builds it)
// a missing binary fails the test; a bare `go test` skips.
func needSigner(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("S3PRESIGN_BIN_DIR")
	if dir == "" {
		root, err := reporoot.Find()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, ".bin")
	}
	bin := filepath.Join(dir, "signer")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("S3PRESIGN_BIN_DIR") != "" {
			t.Fatalf("signer binary missing; `make build` makes it: %v", err)
		}
		t.Skipf("signer binary missing (run `make build`): %v", err)
	}
	return bin
}

func TestSignerUnderLoadAnswersEveryRequestAndRSSSettles(t *testing.T) {
	if testing.Short() {
		t.Skip("a 20 s load test; not in -short")
	}
	wrk := needWrk(t)
	signer := needSigner(t)
	ctx, cancel := context.WithTimeout(context.Background(), ciSoakDuration+2*time.Minute)
	defer cancel()
	var progress strings.Builder
	res, err := Soak(ctx, SoakConfig{SignerBin: signer, WrkBin: wrk, Duration: ciSoakDuration,
		Threads: 2, Connections: ciSoakConnections, ScriptDir: t.TempDir(), Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	_ = res.Markdown(&md)
	t.Logf("%s\n%s", progress.String(), md.String())
	if res.Result.Non2xx < 0 {
		t.Fatal("non-2xx answers were not counted")
	}
	for _, f := range res.Failures {
		t.Error(f)
	}
}
