package bootstrap_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// A small offline IAM evaluator for the synthesized templates: explicit
// Deny wins, otherwise some Allow must match action, resource and every
// condition. It knows the operators these policies use and fails the test
// on any other, so a new operator cannot be silently misread.

// Pseudo parameters the templates are resolved with: the account is the
// one prod names in cdk.json (useAccount switches it for other environments,
// whose stacks carry their own account literally).
const (
	testRegion    = "eu-west-1"
	testPartition = "aws"
)

var testAccount = "111111111111"

var pseudo = map[string]string{"AWS::AccountId": testAccount, "AWS::Region": testRegion, "AWS::Partition": testPartition, "AWS::URLSuffix": "amazonaws.com"}

// useAccount resolves ${AWS::AccountId} to account from now on.
func useAccount(account string) {
	testAccount = account
	pseudo["AWS::AccountId"] = account
}

// request is one API call as IAM sees it. A condition key absent from
// Context is a missing claim or key.
type request struct {
	Action   string
	Resource string
	Context  map[string]string
}

type statement struct {
	Sid         string
	Effect      string
	Action      []string
	NotAction   []string
	Resource    []string
	NotResource []string
	Condition   map[string]map[string][]string
}

// resolve replaces Fn::Sub, Fn::Join and pseudo-parameter Refs with their
// values; anything else unresolvable fails the test.
func resolve(t *testing.T, v any) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["Fn::Sub"].(string); ok && len(x) == 1 {
			return regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(s, func(m string) string {
				name := m[2 : len(m)-1]
				val, ok := pseudo[name]
				if !ok {
					t.Fatalf("cannot resolve ${%s} in %q", name, s)
				}
				return val
			})
		}
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			if val, ok := pseudo[ref]; ok {
				return val
			}
			return "REF:" + ref
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(x) == 1 {
			parts := resolve(t, j[1]).([]any)
			strs := make([]string, len(parts))
			for i, p := range parts {
				strs[i] = fmt.Sprint(p)
			}
			return strings.Join(strs, j[0].(string))
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok && len(x) == 1 {
			return "GETATT:" + fmt.Sprint(g[0]) + "." + fmt.Sprint(g[1])
		}
		for k := range x {
			if strings.HasPrefix(k, "Fn::") && len(x) == 1 {
				return "UNRESOLVED:" + k // another stack's output and the like: no ARN to match
			}
		}
		out := map[string]any{}
		for k, val := range x {
			out[k] = resolve(t, val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = resolve(t, val)
		}
		return out
	default:
		return v
	}
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return []string{x}
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				t.Fatalf("unresolved policy value %v", e)
			}
			out[i] = s
		}
		return out
	}
	t.Fatalf("unexpected policy value %#v", v)
	return nil
}

// parseDocument reads a policy document from a template (resolving it).
func parseDocument(t *testing.T, doc any) []statement {
	t.Helper()
	d := resolve(t, doc).(map[string]any)
	raw, ok := d["Statement"].([]any)
	if !ok {
		raw = []any{d["Statement"]}
	}
	var out []statement
	for _, r := range raw {
		m := r.(map[string]any)
		st := statement{
			Effect: m["Effect"].(string), Action: strs(t, m["Action"]), NotAction: strs(t, m["NotAction"]),
			Resource: strs(t, m["Resource"]), NotResource: strs(t, m["NotResource"]), Condition: map[string]map[string][]string{},
		}
		st.Sid, _ = m["Sid"].(string)
		if st.Resource == nil && st.NotResource == nil {
			st.Resource = []string{"*"} // trust policies have no Resource
		}
		cond, _ := m["Condition"].(map[string]any)
		for op, kv := range cond {
			st.Condition[op] = map[string][]string{}
			for k, vals := range kv.(map[string]any) {
				st.Condition[op][k] = strs(t, vals)
			}
		}
		out = append(out, st)
	}
	return out
}

// wildcard reports whether s matches an IAM pattern (* and ?).
func wildcard(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if wildcard(p, s, fold) {
			return true
		}
	}
	return false
}

func (st statement) matches(t *testing.T, r request) bool {
	t.Helper()
	if st.Action != nil && !anyMatch(st.Action, r.Action, true) {
		return false
	}
	if st.NotAction != nil && anyMatch(st.NotAction, r.Action, true) {
		return false
	}
	if st.Resource != nil && !anyMatch(st.Resource, r.Resource, false) {
		return false
	}
	if st.NotResource != nil && anyMatch(st.NotResource, r.Resource, false) {
		return false
	}
	for op, kv := range st.Condition {
		for key, want := range kv {
			got, present := r.Context[key]
			var ok bool
			switch op {
			case "StringEquals", "ArnEquals":
				ok = present && contains(want, got)
			case "StringLike", "ArnLike":
				ok = present && anyMatch(want, got, false)
			case "StringNotEquals":
				ok = !present || !contains(want, got)
			case "ArnNotLike", "StringNotLike":
				ok = !present || !anyMatch(want, got, false)
			default:
				t.Fatalf("the test evaluator does not know condition operator %s: teach it before using it", op)
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// allowed is IAM's verdict for one policy set: any matching Deny refuses,
// otherwise an Allow is needed.
func allowed(t *testing.T, docs [][]statement, r request) bool {
	t.Helper()
	allow := false
	for _, doc := range docs {
		for _, st := range doc {
			if !st.matches(t, r) {
				continue
			}
			if st.Effect == "Deny" {
				return false
			}
			allow = true
		}
	}
	return allow
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
