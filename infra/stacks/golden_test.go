package stacks_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/internal/golden"
	"github.com/s3presign/s3presign/infra/stacks"
)

// Golden templates: infra/testdata/<env>/<stack>.template.json hold what
// `cdk synth` writes for each committed environment, with every asset hash
// replaced by a placeholder (golden.Normalize), and `make diff` diffs a synth
// normalised the same way against them. The signer image's hash changes with
// its binary, so a signer change leaves these files alone. Rewrite them with
// `make golden`, i.e. `UPDATE_GOLDEN=1 go test ./infra/stacks -run TestGolden`
// (or `-args -update`).
var update = flag.Bool("update", false, "rewrite the golden templates in infra/testdata")

func normalize(b []byte) []byte { return golden.Normalize(b) }

func goldenPath(t *testing.T, env, stack string) string {
	t.Helper()
	return filepath.Join(repoRoot(t), "infra", "testdata", env, stack+".template.json")
}

func TestGoldenTemplates(t *testing.T) {
	updating := *update || os.Getenv("UPDATE_GOLDEN") == "1"
	for _, env := range envNames {
		s := synthEnv(t, env)
		for _, stack := range []string{stacks.StorageStackName(env), stacks.ServiceStackName(env)} {
			path := goldenPath(t, env, stack)
			got := s.raw[stack]
			if updating {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, normalize(got), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", path)
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (create it with `make golden`)", err)
			}
			if !bytes.Equal(normalize(got), want) {
				t.Errorf("%s differs from the synthesized template; if the change is intended, run `make golden` and review the diff.\n%s",
					path, firstDifference(want, normalize(got)))
			}
		}
	}
}

// firstDifference shows the first differing line with a little context.
func firstDifference(want, got []byte) string {
	w := strings.Split(string(want), "\n")
	g := strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			var b strings.Builder
			for j := max(0, i-3); j < i; j++ {
				fmt.Fprintf(&b, "  %5d   %s\n", j+1, w[j])
			}
			fmt.Fprintf(&b, "  %5d - %s\n  %5d + %s\n", i+1, wl, i+1, gl)
			return b.String()
		}
	}
	return "(no line differs)"
}

func TestTwoSynthsAreByteIdentical(t *testing.T) {
	first := synthEnv(t, "prod")
	second := synth(t, loadEnv(t, "prod"))
	for stack, b := range first.raw {
		if !bytes.Equal(b, second.raw[stack]) {
			t.Errorf("%s: two synths differ:\n%s", stack, firstDifference(b, second.raw[stack]))
		}
	}
	if len(first.raw) != 2 {
		t.Errorf("got %d templates, want 2", len(first.raw))
	}
}

func TestSynthNeedsNoAccountLookups(t *testing.T) {
	// A lookup (availability zones, VPCs, ...) would make `cdk synth` call
	// AWS; every committed environment must synthesize offline.
	for _, env := range envNames {
		if m := synthEnv(t, env).missing; len(m) != 0 {
			t.Errorf("%s: synth needs AWS lookups %v", env, m)
		}
	}
}
