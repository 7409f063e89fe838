package stacks_test

import (
	"sort"
	"strings"
	"testing"
)

func TestCdkNagAwsSolutionsHasNoUnsuppressedErrors(t *testing.T) {
	// Synth itself fails on an unsuppressed error (the validation report);
	// this also checks the annotations, for every environment and variant.
	all := []*synthesized{synthEnv(t, "dev"), synthEnv(t, "staging"), synthEnv(t, "prod"), variant(t), bareVariant(t)}
	for _, s := range all {
		for stack, errs := range s.errors {
			for _, e := range errs {
				t.Errorf("%s: %s", stack, e)
			}
		}
	}
}

// suppression is one cdk-nag suppression found in a template.
type suppression struct{ id, reason string }

func suppressions(tmpl map[string]any) map[string][]suppression {
	out := map[string][]suppression{}
	res, _ := tmpl["Resources"].(map[string]any)
	for id, r := range res {
		rules, _ := dig(r, "Metadata", "cdk_nag", "rules_to_suppress").([]any)
		for _, rule := range rules {
			m := rule.(map[string]any)
			rid, _ := m["id"].(string)
			reason, _ := m["reason"].(string)
			out[id] = append(out[id], suppression{rid, reason})
		}
	}
	return out
}

func TestEverySuppressionNamesARuleAndARealReason(t *testing.T) {
	seen := map[string]string{}
	for _, s := range []*synthesized{synthEnv(t, "dev"), synthEnv(t, "staging"), synthEnv(t, "prod"), variant(t)} {
		for _, tmpl := range []map[string]any{s.storage, s.service} {
			for res, list := range suppressions(tmpl) {
				for _, sp := range list {
					if !strings.HasPrefix(sp.id, "AwsSolutions-") {
						t.Errorf("%s: suppression %q is not an AwsSolutions rule", res, sp.id)
					}
					if len(sp.reason) < 60 {
						t.Errorf("%s: %s suppressed with too short a reason %q", res, sp.id, sp.reason)
					}
					seen[sp.id+" on "+strings.TrimRight(res, "0123456789ABCDEF")] = sp.reason
				}
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%s: %s", k, seen[k])
	}
}
