package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/devtools/local/localtest"
	"github.com/s3presign/s3presign/infra/devtools/local/stack"
	"github.com/s3presign/s3presign/signer/reporoot"
)

// tourFence opens the five-minute tour's block in README.md.
const tourFence = "```sh tour\n"

// readmeTour returns the one ```sh tour block of README.md, exactly as a
// reader copies it.
func readmeTour(t *testing.T) string {
	t.Helper()
	root, err := reporoot.Find()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if n := strings.Count(doc, tourFence); n != 1 {
		t.Fatalf("README.md has %d %q blocks, want exactly one (the tour)", n, strings.TrimSpace(tourFence))
	}
	block := doc[strings.Index(doc, tourFence)+len(tourFence):]
	end := strings.Index(block, "\n```\n")
	if end < 0 {
		t.Fatal("the tour block in README.md is not closed")
	}
	return block[:end+1]
}

// The README's five-minute tour, run by bash against a local stack (with
// -e and pipefail, so any failing command fails the test), once without
// auth and once in API-key mode with the key in S3PRESIGN_KEY, as a reader
// would paste it next to `make run` and `make run AUTH=apikey`. Afterwards
// the bucket holds what the tour uploaded, under the caller's prefix.
func TestReadmeTourRuns(t *testing.T) {
	tour := readmeTour(t)
	for _, tool := range []string{"bash", "curl", "jq", "cmp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the tour needs %s: %v (make jq installs jq)", tool, err)
		}
	}
	for _, mode := range []string{config.AuthNone, config.AuthAPIKey} {
		t.Run(mode, func(t *testing.T) {
			st := localtest.Stack(t, func(o *stack.Options) { o.AuthMode = mode })
			out := runTour(t, tour, st)
			for _, want := range []string{
				"v1 routes: the download has the uploaded bytes",
				"without the Referer: HTTP 403",
				"compat routes: the download has the uploaded bytes",
				`filename="tour-copy.pdf"`,
				`"companionEndpoint": "` + st.SignerURL + `/uppy/`,
			} {
				if !strings.Contains(out, want) {
					t.Errorf("the tour's output lacks %q:\n%s", want, out)
				}
			}
			prefix := st.Env.UploadPrefix
			if st.APIKey != "" {
				prefix += stack.LocalCaller + "/"
			}
			keys := objectKeys(t, st)
			var v1, compat bool
			for _, k := range keys {
				v1 = v1 || (strings.HasPrefix(k, prefix) && strings.HasSuffix(k, "/hello.pdf"))
				compat = compat || k == prefix+"tour-compat.pdf"
			}
			if !v1 || !compat {
				t.Errorf("bucket holds %v, want the tour's hello.pdf and tour-compat.pdf under %s", keys, prefix)
			}
		})
	}
}

// runTour runs the tour block with bash -euo pipefail against st, in a
// scratch directory, and returns its output.
func runTour(t *testing.T, tour string, st *stack.Stack) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", tour)
	tmp := t.TempDir()
	cmd.Dir = tmp
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "TMPDIR=" + tmp, "LC_ALL=C",
		"SIGNER=" + st.SignerURL,
		"PAGE=" + strings.TrimSuffix(st.PageURL, "/"),
		"S3PRESIGN_KEY=" + st.APIKey,
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's tour failed (%v); output:\n%s", err, out)
	}
	t.Logf("tour output:\n%s", out)
	return string(out)
}
