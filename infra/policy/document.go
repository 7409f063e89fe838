// Package policy builds the upload bucket's policy statements, the signer's
// identity policy and the bucket's CORS rules as plain Go data from the
// per-environment config.
//
// It is the one source of truth for those rules: infra/storage and
// infra/service turn the data into CloudFormation, and the local stack
// (infra/devtools/local) applies it to versitygw through ForVersityGW. It is pure Go
// (no jsii) and its JSON is what S3's PutBucketPolicy and PutBucketCors
// accept.
package policy

import (
	"encoding/json"
	"errors"
)

// Version is the IAM policy language version of every document built here.
const Version = "2012-10-17"

// Effects of a statement.
const (
	// Allow grants.
	Allow = "Allow"
	// Deny refuses, whatever any Allow says.
	Deny = "Deny"
)

// Document is an IAM policy document.
type Document struct {
	// Version is always Version.
	Version string `json:"Version"`
	// Statement lists the statements in order.
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement. Resource strings may be CDK tokens
// (the construct passes the bucket's ARN token); they are copied as they are.
type Statement struct {
	// Sid names the statement; tests and the versitygw transform find statements by it.
	Sid string `json:"Sid,omitempty"`
	// Effect is Allow or Deny.
	Effect string `json:"Effect"`
	// Principal is set in resource (bucket) policies and nil in identity policies.
	Principal *Principal `json:"Principal,omitempty"`
	// Action lists the actions.
	Action []string `json:"Action"`
	// Resource lists the ARNs.
	Resource []string `json:"Resource"`
	// Condition maps operator -> condition key -> values.
	Condition Condition `json:"Condition,omitempty"`
}

// Condition is a statement's condition block: operator (e.g. StringNotLike)
// -> condition key (e.g. aws:Referer) -> values. Every operator/key pair must
// hold for the statement to apply. encoding/json sorts the map keys, so the
// JSON is deterministic.
type Condition map[string]map[string][]string

// Keys returns every condition key used, across operators.
func (c Condition) Keys() []string {
	var keys []string
	for _, kv := range c {
		for k := range kv {
			keys = append(keys, k)
		}
	}
	return keys
}

// without returns a copy of c with every operator/key pair for key removed
// (operators left empty are removed too).
func (c Condition) without(key string) Condition {
	out := Condition{}
	for op, kv := range c {
		for k, v := range kv {
			if k == key {
				continue
			}
			if out[op] == nil {
				out[op] = map[string][]string{}
			}
			out[op][k] = append([]string(nil), v...)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Principal is a statement's Principal element. It holds AWS principals
// (ARNs, account ids or, for versitygw, access key ids); the single value
// "*" means everyone and is written as the literal "*".
type Principal struct {
	// AWS lists the principals.
	AWS []string
}

// Everyone returns the "*" principal.
func Everyone() *Principal { return &Principal{AWS: []string{"*"}} }

// IsEveryone reports whether p is the "*" principal.
func (p *Principal) IsEveryone() bool {
	return p != nil && len(p.AWS) == 1 && p.AWS[0] == "*"
}

// MarshalJSON writes "*" for everyone and {"AWS": [...]} otherwise.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.IsEveryone() {
		return json.Marshal("*")
	}
	return json.Marshal(struct {
		AWS []string `json:"AWS"`
	}{p.AWS})
}

// UnmarshalJSON reads "*", {"AWS": "x"} or {"AWS": ["x", ...]}.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "*" {
			return errors.New("policy: a string Principal must be \"*\"")
		}
		p.AWS = []string{"*"}
		return nil
	}
	var obj struct {
		AWS json.RawMessage `json:"AWS"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	var one string
	if err := json.Unmarshal(obj.AWS, &one); err == nil {
		p.AWS = []string{one}
		return nil
	}
	return json.Unmarshal(obj.AWS, &p.AWS)
}

// JSON returns the document as compact JSON, as PutBucketPolicy takes it.
func (d Document) JSON() ([]byte, error) { return json.Marshal(d) }

// Find returns the statement with the given Sid.
func (d Document) Find(sid string) (Statement, bool) {
	for _, s := range d.Statement {
		if s.Sid == sid {
			return s, true
		}
	}
	return Statement{}, false
}
