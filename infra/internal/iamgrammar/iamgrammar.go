// Package iamgrammar checks IAM policy documents against IAM's grammar,
// strictly and offline, and finds every policy document in a synthesized
// CloudFormation template (role trust and inline policies, identity, bucket,
// key, topic, queue, secret and Logs resource policies, including documents
// held as JSON strings built with Fn::Join).
//
// Synth, cdk-nag and golden templates all accept a policy AWS would reject
// (a Go map that crossed jsii into a JSON string came out as
// {"$jsii.map": ...}); this package is what catches that class of mistake.
// No maintained Go library parses IAM policies strictly (the AWS SDK has no
// parser, and IAM Access Analyzer's validation is an online API), so this is
// a small one written from IAM's JSON policy grammar reference.
package iamgrammar

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Kind tells documents apart where the grammar differs: a role's trust
// policy has no Resource; every other document needs one.
type Kind int

// Kinds of policy document.
const (
	// Permissions is an identity or resource policy (Resource required).
	Permissions Kind = iota
	// Trust is a role's AssumeRolePolicyDocument (no Resource).
	Trust
)

var (
	operatorRE = regexp.MustCompile(`^(ForAnyValue:|ForAllValues:)?(` +
		`StringEquals|StringNotEquals|StringEqualsIgnoreCase|StringNotEqualsIgnoreCase|StringLike|StringNotLike|` +
		`NumericEquals|NumericNotEquals|NumericLessThan|NumericLessThanEquals|NumericGreaterThan|NumericGreaterThanEquals|` +
		`DateEquals|DateNotEquals|DateLessThan|DateLessThanEquals|DateGreaterThan|DateGreaterThanEquals|` +
		`Bool|BinaryEquals|IpAddress|NotIpAddress|ArnEquals|ArnLike|ArnNotEquals|ArnNotLike)(IfExists)?$`)
	// A condition key is prefix:name; names may carry a /tag-key suffix.
	conditionKeyRE = regexp.MustCompile(`^[A-Za-z0-9.-]+:[A-Za-z0-9_.:-]+(/[^\s]+)?$`)
	// An action is service:Action, with * and ? allowed in the action part.
	actionRE  = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9*?]+$`)
	sidRE     = regexp.MustCompile(`^[A-Za-z0-9]*$`)
	principal = []string{"AWS", "Service", "Federated", "CanonicalUser"}
)

// Check returns every grammar error of one policy document (already
// decoded from JSON), each prefixed with where.
func Check(doc any, kind Kind, where string) []error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", where, path, fmt.Sprintf(format, args...)))
	}
	d, ok := doc.(map[string]any)
	if !ok {
		bad("", "a policy document must be an object, got %s", show(doc))
		return errs
	}
	for k := range d {
		if !slices.Contains([]string{"Version", "Id", "Statement"}, k) {
			bad("", "unknown top-level element %q", k)
		}
	}
	if v, ok := d["Version"]; ok && v != "2012-10-17" && v != "2008-10-17" {
		bad(".Version", "must be 2012-10-17, got %s", show(v))
	}
	var sts []any
	switch s := d["Statement"].(type) {
	case map[string]any:
		sts = []any{s}
	case []any:
		sts = s
	default:
		bad(".Statement", "must be an object or a list of objects, got %s", show(d["Statement"]))
	}
	if len(sts) == 0 && d["Statement"] != nil {
		bad(".Statement", "must not be empty")
	}
	for i, st := range sts {
		for _, e := range checkStatement(st, kind) {
			bad(fmt.Sprintf(".Statement[%d]", i), "%v", e)
		}
	}
	return errs
}

func checkStatement(v any, kind Kind) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	st, ok := v.(map[string]any)
	if !ok {
		return []string{"a statement must be an object, got " + show(v)}
	}
	known := []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
	for _, k := range sortedKeys(st) {
		if !slices.Contains(known, k) {
			bad("unknown element %q", k)
		}
	}
	if sid, ok := st["Sid"]; ok {
		if s, isStr := sid.(string); !isStr || !sidRE.MatchString(s) {
			bad("Sid must be letters and digits, got %s", show(sid))
		}
	}
	if e := st["Effect"]; e != "Allow" && e != "Deny" {
		bad("Effect must be Allow or Deny, got %s", show(e))
	}
	exactlyOne := func(a, b string, required bool) {
		_, hasA := st[a]
		_, hasB := st[b]
		switch {
		case hasA && hasB:
			bad("has both %s and %s", a, b)
		case required && !hasA && !hasB:
			bad("needs %s or %s", a, b)
		}
	}
	exactlyOne("Action", "NotAction", true)
	exactlyOne("Principal", "NotPrincipal", false)
	exactlyOne("Resource", "NotResource", kind == Permissions)
	if kind == Trust {
		if _, ok := st["Resource"]; ok {
			bad("a trust policy has no Resource")
		}
	}
	for _, k := range []string{"Action", "NotAction"} {
		if a, ok := st[k]; ok {
			for _, s := range stringList(a, false, k, &errs) {
				if s != "*" && !actionRE.MatchString(s) {
					bad("%s %q must be service:Action (wildcards * and ? in the action part only)", k, s)
				}
			}
		}
	}
	for _, k := range []string{"Resource", "NotResource"} {
		if r, ok := st[k]; ok {
			for _, s := range stringList(r, true, k, &errs) {
				if s != "*" && !strings.HasPrefix(s, "arn:") && !isPlaceholder(s) {
					bad("%s %q must be \"*\" or an ARN", k, s)
				}
			}
		}
	}
	for _, k := range []string{"Principal", "NotPrincipal"} {
		if p, ok := st[k]; ok {
			checkPrincipal(p, k, &errs)
		}
	}
	if c, ok := st["Condition"]; ok {
		checkCondition(c, &errs)
	}
	return errs
}

func checkPrincipal(p any, name string, errs *[]string) {
	if p == "*" {
		return
	}
	m, ok := p.(map[string]any)
	if !ok || len(m) == 0 {
		*errs = append(*errs, fmt.Sprintf("%s must be \"*\" or an object of AWS/Service/Federated/CanonicalUser, got %s", name, show(p)))
		return
	}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(principal, k) {
			*errs = append(*errs, fmt.Sprintf("%s has unknown principal type %q", name, k))
			continue
		}
		stringList(m[k], true, name+"."+k, errs)
	}
}

func checkCondition(c any, errs *[]string) {
	m, ok := c.(map[string]any)
	if !ok {
		*errs = append(*errs, "Condition must be an object, got "+show(c))
		return
	}
	for _, op := range sortedKeys(m) {
		if op != "Null" && !operatorRE.MatchString(op) {
			*errs = append(*errs, fmt.Sprintf("Condition operator %q is not one of IAM's", op))
		}
		kv, ok := m[op].(map[string]any)
		if !ok || len(kv) == 0 {
			*errs = append(*errs, fmt.Sprintf("Condition %s must be a non-empty object of condition keys, got %s", op, show(m[op])))
			continue
		}
		for _, key := range sortedKeys(kv) {
			if !conditionKeyRE.MatchString(key) {
				*errs = append(*errs, fmt.Sprintf("Condition %s: key %q must be prefix:name", op, key))
			}
			checkConditionValue(kv[key], op+"."+key, errs)
		}
	}
}

func checkConditionValue(v any, where string, errs *[]string) {
	scalar := func(x any) bool {
		switch x.(type) {
		case string, float64, bool, json.Number:
			return true
		}
		return isIntrinsic(x)
	}
	if list, ok := v.([]any); ok {
		if len(list) == 0 {
			*errs = append(*errs, fmt.Sprintf("Condition %s: empty list of values", where))
		}
		for _, x := range list {
			if !scalar(x) {
				*errs = append(*errs, fmt.Sprintf("Condition %s: value %s must be a string, number or boolean", where, show(x)))
			}
		}
		return
	}
	if !scalar(v) {
		*errs = append(*errs, fmt.Sprintf("Condition %s: value %s must be a string, number, boolean or a list of them", where, show(v)))
	}
}

// stringList accepts a string or a non-empty list of strings; CloudFormation
// intrinsics stand for strings where allowTokens. It returns the literal strings.
func stringList(v any, allowTokens bool, name string, errs *[]string) []string {
	one := func(x any) (string, bool) {
		if s, ok := x.(string); ok {
			return s, true
		}
		if allowTokens && isIntrinsic(x) {
			return "", false
		}
		*errs = append(*errs, fmt.Sprintf("%s value %s must be a string", name, show(x)))
		return "", false
	}
	var out []string
	if list, ok := v.([]any); ok {
		if len(list) == 0 {
			*errs = append(*errs, name+" must not be an empty list")
		}
		for _, x := range list {
			if s, ok := one(x); ok {
				out = append(out, s)
			}
		}
		return out
	}
	if s, ok := one(v); ok {
		out = append(out, s)
	}
	return out
}

// isIntrinsic reports whether v is a CloudFormation intrinsic ({"Ref": ..}
// or {"Fn::X": ..}), which resolves to a string at deploy time.
func isIntrinsic(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
