package bootstrap

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/internal/iamgrammar"
	"github.com/s3presign/s3presign/signer/reporoot"
)

// TestBootstrapPoliciesAreValidIAM synthesizes the bootstrap stacks for
// every environment in cdk.json and parses every policy document (the
// deploy roles' trust and permissions) with IAM's strict grammar.
func TestBootstrapPoliciesAreValidIAM(t *testing.T) {
	root, err := reporoot.Find()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Context map[string]json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	names, err := config.Names(file.Context[config.ContextKey])
	if err != nil || len(names) == 0 {
		t.Fatalf("environments: %v %v", names, err)
	}
	for _, name := range names {
		env, err := config.LoadCDKJSON(data, name)
		if err != nil {
			t.Fatal(err)
		}
		_, templates := synth(t, env, testSettings)
		total := 0
		for stack, tmpl := range templates {
			n, errs := iamgrammar.CheckTemplate(tmpl, stack)
			total += n
			for _, e := range errs {
				t.Error(e)
			}
		}
		// The OIDC provider stack holds none; the roles stack holds several.
		if total == 0 {
			t.Errorf("%s: no policy document found in %d bootstrap stacks (the walk is broken)", name, len(templates))
		}
	}
}
