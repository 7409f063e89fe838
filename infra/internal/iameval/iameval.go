// Package iameval decides whether one request is allowed by a set of policy
// documents built with infra/policy, the way AWS evaluates a request inside
// one account: an explicit Deny in any policy wins, then an Allow in the
// caller's identity policies or in the resource policy, else implicit deny.
//
// It exists so tests can prove what a policy does (who may write the scan
// tag, who may read) instead of only how it looks. It knows the condition
// operators infra/policy uses and refuses any other one loudly, so a new
// operator cannot be silently treated as "no match".
package iameval

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/s3presign/s3presign/infra/policy"
)

// Request is one call to evaluate.
type Request struct {
	// PrincipalArn is the caller's ARN (aws:PrincipalArn).
	PrincipalArn string
	// Action is "service:Action", e.g. s3:PutObjectTagging.
	Action string
	// Resource is the ARN acted on.
	Resource string
	// Context holds the other condition keys of the request (s3:authType, ...).
	Context map[string]string
}

// Decision is the outcome of Evaluate.
type Decision string

// Outcomes.
const (
	// Allowed: an Allow matched and no Deny did.
	Allowed Decision = "allowed"
	// ExplicitDeny: a Deny matched.
	ExplicitDeny Decision = "explicit deny"
	// ImplicitDeny: nothing allowed it.
	ImplicitDeny Decision = "implicit deny"
)

// Evaluate decides r against the caller's identity statements and the
// resource policy (same account). It returns an error for a condition
// operator it does not know.
func Evaluate(r Request, identity []policy.Statement, resource policy.Document) (Decision, error) {
	allowed := false
	check := func(st policy.Statement, needPrincipal bool) (bool, error) {
		if needPrincipal && !principalMatches(st.Principal, r.PrincipalArn) {
			return false, nil
		}
		if !anyMatch(st.Action, r.Action, false) || !anyMatch(st.Resource, r.Resource, true) {
			return false, nil
		}
		return conditionsHold(st.Condition, r)
	}
	all := []struct {
		sts           []policy.Statement
		needPrincipal bool
	}{{identity, false}, {resource.Statement, true}}
	for _, set := range all {
		for _, st := range set.sts {
			ok, err := check(st, set.needPrincipal)
			if err != nil {
				return "", fmt.Errorf("statement %q: %w", st.Sid, err)
			}
			if !ok {
				continue
			}
			if st.Effect == policy.Deny {
				return ExplicitDeny, nil
			}
			allowed = true
		}
	}
	if allowed {
		return Allowed, nil
	}
	return ImplicitDeny, nil
}

func principalMatches(p *policy.Principal, arn string) bool {
	if p == nil {
		return false
	}
	for _, a := range p.AWS {
		if a == "*" || a == arn {
			return true
		}
	}
	return false
}

// wildcard reports whether s matches an IAM pattern (* and ?); actions
// match case-insensitively.
func wildcard(pattern, s string, caseSensitive bool) bool {
	if !caseSensitive {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// path.Match treats "/" specially and [ ] as classes: escape those.
	esc := strings.NewReplacer("[", `\[`, "]", `\]`, `\`, `\\`).Replace(pattern)
	ok, err := path.Match(strings.ReplaceAll(esc, "/", "\x00"), strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

func anyMatch(patterns []string, s string, caseSensitive bool) bool {
	for _, p := range patterns {
		if wildcard(p, s, caseSensitive) {
			return true
		}
	}
	return false
}

// conditionsHold applies every operator/key pair: all must hold. A missing
// key fails positive operators and satisfies negated ones, as in IAM.
func conditionsHold(c policy.Condition, r Request) (bool, error) {
	for op, kv := range c {
		for key, values := range kv {
			got, present := r.Context[key]
			if key == policy.KeyPrincipalArn {
				got, present = r.PrincipalArn, true
			}
			ok, err := operator(op, got, present, values)
			if err != nil {
				return false, err
			}
			if !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

func operator(op, got string, present bool, values []string) (bool, error) {
	match := func(f func(v string) bool) bool {
		for _, v := range values {
			if f(v) {
				return true
			}
		}
		return false
	}
	eq := func(v string) bool { return v == got }
	like := func(v string) bool { return wildcard(v, got, true) }
	switch op {
	case "StringEquals", "ArnEquals", "Bool":
		return present && match(eq), nil
	case "StringLike", "ArnLike":
		return present && match(like), nil
	case "StringNotEquals", "ArnNotEquals":
		return !present || !match(eq), nil
	case "StringNotLike", "ArnNotLike":
		return !present || !match(like), nil
	case "NumericGreaterThan":
		n, err := strconv.ParseFloat(got, 64)
		if !present || err != nil {
			return false, nil
		}
		return match(func(v string) bool { x, err := strconv.ParseFloat(v, 64); return err == nil && n > x }), nil
	default:
		return false, fmt.Errorf("iameval does not know condition operator %q", op)
	}
}
