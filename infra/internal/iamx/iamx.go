// Package iamx turns the pure policy data of infra/policy into CDK IAM
// statements, so the constructs never restate a rule by hand.
package iamx

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/policy"
)

// Statement converts one policy statement. The "*" principal becomes a
// StarPrincipal, which CloudFormation renders as the literal "*", the same
// JSON the local stack sends to versitygw.
func Statement(s policy.Statement) awsiam.PolicyStatement {
	effect := awsiam.Effect_ALLOW
	if s.Effect == policy.Deny {
		effect = awsiam.Effect_DENY
	}
	props := &awsiam.PolicyStatementProps{
		Effect:    effect,
		Actions:   jsii.Strings(s.Action...),
		Resources: jsii.Strings(s.Resource...),
	}
	if s.Sid != "" {
		props.Sid = jsii.String(s.Sid)
	}
	if s.Principal != nil {
		var ps []awsiam.IPrincipal
		if s.Principal.IsEveryone() {
			ps = append(ps, awsiam.NewStarPrincipal())
		} else {
			for _, p := range s.Principal.AWS {
				ps = append(ps, awsiam.NewArnPrincipal(jsii.String(p)))
			}
		}
		props.Principals = &ps
	}
	if len(s.Condition) > 0 {
		cond := map[string]any{}
		ops := make([]string, 0, len(s.Condition))
		for op := range s.Condition {
			ops = append(ops, op)
		}
		slices.Sort(ops)
		for _, op := range ops {
			kv := map[string]any{}
			for k, v := range s.Condition[op] {
				// One value is written as a scalar, the way the CDK writes
				// its own conditions (and the way cdk-nag's S10 check
				// expects aws:SecureTransport "false"); same meaning.
				if len(v) == 1 {
					kv[k] = v[0]
				} else {
					kv[k] = v
				}
			}
			cond[op] = kv
		}
		props.Conditions = &cond
	}
	return awsiam.NewPolicyStatement(props)
}

// Document converts every statement of a document.
func Document(d policy.Document) []awsiam.PolicyStatement {
	out := make([]awsiam.PolicyStatement, 0, len(d.Statement))
	for _, s := range d.Statement {
		out = append(out, Statement(s))
	}
	return out
}
