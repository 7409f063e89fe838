package stacks_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/s3presign/s3presign/infra/internal/iamgrammar"
)

// checkGrammar parses every policy document of a template with IAM's strict
// grammar (iamgrammar) and reports each error.
func checkGrammar(t *testing.T, name string, raw []byte) {
	t.Helper()
	var tmpl map[string]any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	n, errs := iamgrammar.CheckTemplate(tmpl, name)
	if n == 0 {
		t.Errorf("%s: no policy document found (the walk is broken: every stack has some)", name)
	}
	for _, err := range errs {
		t.Error(err)
	}
}

// TestEveryPolicyDocumentIsValidIAM walks every synthesized template of
// every environment in cdk.json, and of the variants that turn on what the
// committed environments leave off (signing user, OIDC, KMS, ops), through
// the strict grammar: trust, identity, bucket, key, topic and Logs resource
// policies, JSON strings included.
func TestEveryPolicyDocumentIsValidIAM(t *testing.T) {
	all := map[string]*synthesized{"variant": variant(t), "ops": opsVariant(t)}
	for _, name := range envNames {
		all[name] = synthEnv(t, name)
	}
	for name, s := range all {
		if len(s.raw) != 2 {
			t.Fatalf("%s: %d templates, want the storage and service stacks", name, len(s.raw))
		}
		for stack, raw := range s.raw {
			checkGrammar(t, name+"/"+stack, raw)
		}
	}
}

// TestGoldenTemplatesAreValidIAM runs the same check on the committed golden
// templates (what reviewers read and `cdk diff` compares against). Before
// the Logs resource policy was fixed, all three failed here.
func TestGoldenTemplatesAreValidIAM(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "infra", "testdata", "*", "*.template.json"))
	if err != nil || len(files) < 6 {
		t.Fatalf("golden templates: %v %v", files, err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkGrammar(t, filepath.Base(f), raw)
	}
}
