package bootstrap

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3presign/s3presign/infra/config"
)

// Project prefixes every name this app gives or CloudFormation generates
// (CloudFormation names an unnamed role, policy, user, bucket or function
// after its stack, and every stack of env is called s3presign-<env>-…).
const Project = "s3presign"

// NamePrefix is the prefix of every stack and IAM name of env; the
// execution policy grants IAM only under it.
func NamePrefix(env string) string { return Project + "-" + env + "-" }

// ExecutionPolicyName is the customer-managed policy `cdk bootstrap
// --cloudformation-execution-policies` gives CloudFormation instead of
// AdministratorAccess. It has a fixed name because the bootstrap command
// needs its ARN before anything else exists.
func ExecutionPolicyName(env string) string { return NamePrefix(env) + "cfn-execution" }

// BoundaryPolicyName is the permissions boundary every role and user the app
// creates must carry (infra/stacks applies it to all of them); the execution
// policy lets CloudFormation create roles only with it.
func BoundaryPolicyName(env string) string { return NamePrefix(env) + "boundary" }

// ExecutionStackName holds the execution policy and the boundary. It is
// deployed before `cdk bootstrap` (which needs the policy's ARN), so it uses
// no bootstrap resources.
func ExecutionStackName(env string) string { return NamePrefix(env) + "cfn-exec" }

// PolicyArn is the ARN of a customer-managed policy in the deploying account.
func PolicyArn(name string) *string {
	return awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/"+name), nil)
}

// BoundaryServices are the services a role created by the app may use at
// all; its own policies narrow that further. IAM, STS role assumption and
// Organizations are absent, so no role of the app can create or widen a
// role, or step into another one. A new role that needs another service
// fails TestBoundaryAllowsEveryAppRoleAction until it is added here.
var BoundaryServices = []string{
	"cloudwatch", "ec2", "ecr", "events", "kms", "logs", "s3", "secretsmanager", "sns", "sqs", "xray",
}

// boundaryDenied are refused to app roles even if a service above grew such
// an action: escalation and account-wide changes.
var boundaryDenied = []string{
	"iam:*", "organizations:*", "account:*", "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML",
}

// ExecutionPoliciesProps configures NewExecutionPolicies.
type ExecutionPoliciesProps struct {
	// Settings name the CDK qualifier (asset bucket and image repository).
	Settings *Settings
	// Env is the environment whose stacks CloudFormation deploys.
	Env *config.Environment
}

// ExecutionPolicies are the CloudFormation execution policy and the
// permissions boundary of one environment.
type ExecutionPolicies struct {
	constructs.Construct
	// Execution is what CloudFormation may do while deploying env's stacks.
	Execution awsiam.ManagedPolicy
	// Boundary caps every role and user the app creates.
	Boundary awsiam.ManagedPolicy
}

// NewExecutionPolicies creates the execution policy and the boundary.
func NewExecutionPolicies(scope constructs.Construct, id string, props *ExecutionPoliciesProps) *ExecutionPolicies {
	c := constructs.NewConstruct(scope, jsii.String(id))
	env := props.Env.Name
	out := &ExecutionPolicies{Construct: c}
	out.Boundary = awsiam.NewManagedPolicy(c, jsii.String("Boundary"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(BoundaryPolicyName(env)),
		Description:       jsii.String("s3presign " + env + ": the most any role or user of the app may do; no IAM, no role assumption"),
		Document:          boundaryDocument(),
	})
	out.Execution = awsiam.NewManagedPolicy(c, jsii.String("Execution"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(ExecutionPolicyName(env)),
		Description:       jsii.String("s3presign " + env + ": what CloudFormation may do for this app (cdk bootstrap --cloudformation-execution-policies)"),
		Document:          awsiam.PolicyDocument_FromJson(subAll(ExecutionDocument(*props.Env, props.Settings.Qualifier))),
	})
	for _, p := range []awsiam.ManagedPolicy{out.Boundary, out.Execution} {
		cdknag.NagSuppressions_AddResourceSuppressions(p, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("service-level actions for the services this app deploys: their resources get names CloudFormation " +
				"generates, so they cannot be listed; IAM, the one service that could escalate, is limited to the app's name prefix " +
				"and the boundary"),
		}}, jsii.Bool(true))
	}
	return out
}

func boundaryDocument() awsiam.PolicyDocument {
	allowed := make([]string, len(BoundaryServices))
	for i, s := range BoundaryServices {
		allowed[i] = s + ":*"
	}
	return awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("AppServices"), Actions: jsii.Strings(allowed...), Resources: jsii.Strings("*"),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("NoEscalation"), Effect: awsiam.Effect_DENY, Actions: jsii.Strings(boundaryDenied...), Resources: jsii.Strings("*"),
		}),
	}})
}

// adminPolicies may never be attached by CloudFormation, whatever else says so.
var adminPolicies = []string{
	"arn:aws:iam::aws:policy/AdministratorAccess",
	"arn:aws:iam::aws:policy/PowerUserAccess",
	"arn:aws:iam::aws:policy/IAMFullAccess",
}

// ExecutionDocument is the execution policy of env as a policy JSON value;
// ${AWS::Partition}, ${AWS::Region} and ${AWS::AccountId} in it become
// Fn::Sub references in the template.
func ExecutionDocument(env config.Environment, qualifier string) map[string]any {
	p := NamePrefix(env.Name)
	iam := func(kind string) string {
		return "arn:${AWS::Partition}:iam::${AWS::AccountId}:" + kind + "/" + p + "*"
	}
	boundary := map[string]any{"StringEquals": map[string]any{"iam:PermissionsBoundary": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/" + BoundaryPolicyName(env.Name)}}
	statements := appStatements(p, qualifier, iam, boundary)
	if env.Signing == config.SigningUser {
		// The signing user and its access key (kept in Secrets Manager), under
		// the prefix and with the boundary; only this variant gets them.
		statements = append(statements, signingUserStatements(iam, boundary)...)
	}
	statements = append(statements, neverStatements(env.Name)...)
	out := make([]any, len(statements))
	for i, st := range statements {
		if _, ok := st["Effect"]; !ok {
			st["Effect"] = "Allow"
		}
		out[i] = st
	}
	return map[string]any{"Version": "2012-10-17", "Statement": out}
}

// appStatements allow what deploying the app's stacks needs: the services
// whose resources CloudFormation names itself, the app's buckets and
// functions, the CDK's assets, and IAM roles and policies under the prefix p
// carrying the boundary only.
func appStatements(p, qualifier string, iam func(kind string) string, boundary map[string]any) []map[string]any {
	return []map[string]any{
		// Services whose resources CloudFormation names itself: the app's
		// stacks are the only thing this role deploys.
		{"Sid": "AppServices", "Action": []string{
			"application-autoscaling:*", "cloudfront:*", "cloudwatch:*", "ec2:*", "ecs:*", "elasticloadbalancing:*",
			"events:*", "guardduty:*", "kms:*", "logs:*", "secretsmanager:*", "sns:*", "sqs:*", "wafv2:*",
		}, "Resource": "*"},
		{"Sid": "AppBuckets", "Action": "s3:*", "Resource": "arn:${AWS::Partition}:s3:::" + p + "*"},
		{"Sid": "AppFunctions", "Action": "lambda:*", "Resource": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:" + p + "*"},
		{"Sid": "CdkAssets", "Action": []string{"s3:GetObject", "s3:GetBucketLocation", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetDownloadUrlForLayer"},
			"Resource": []string{
				"arn:${AWS::Partition}:s3:::cdk-" + qualifier + "-assets-${AWS::AccountId}-${AWS::Region}",
				"arn:${AWS::Partition}:s3:::cdk-" + qualifier + "-assets-${AWS::AccountId}-${AWS::Region}/*",
				"arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/cdk-" + qualifier + "-container-assets-${AWS::AccountId}-${AWS::Region}",
			}},
		{"Sid": "CdkBootstrapVersion", "Action": []string{"ssm:GetParameter", "ssm:GetParameters"},
			"Resource": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/cdk-bootstrap/" + qualifier + "/version"},
		// Roles: only under the prefix, and only carrying the boundary.
		{"Sid": "RolesWithBoundary", "Action": []string{
			"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
		}, "Resource": iam("role"), "Condition": boundary},
		{"Sid": "AttachOnlyAppOrLambdaPolicies", "Action": []string{"iam:AttachRolePolicy", "iam:DetachRolePolicy"},
			"Resource": iam("role"), "Condition": map[string]any{
				"StringEquals": boundary["StringEquals"],
				"ArnLike": map[string]any{"iam:PolicyARN": []string{
					"arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", iam("policy"),
				}},
			}},
		{"Sid": "ManageAppRoles", "Action": []string{
			"iam:DeleteRole", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
			"iam:ListRoleTags", "iam:PassRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
			"iam:UpdateRoleDescription",
		}, "Resource": iam("role")},
		{"Sid": "AppManagedPolicies", "Action": []string{
			"iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:GetPolicy",
			"iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:TagPolicy", "iam:UntagPolicy",
		}, "Resource": iam("policy")},
		{"Sid": "ServiceLinkedRoles", "Action": "iam:CreateServiceLinkedRole",
			"Resource": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*",
			"Condition": map[string]any{"StringEquals": map[string]any{"iam:AWSServiceName": []string{
				"ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "ecs.application-autoscaling.amazonaws.com",
				"malware-protection-plan.guardduty.amazonaws.com", "vpcorigin.cloudfront.amazonaws.com",
			}}}},
	}
}

// signingUserStatements allow the signing user (signing mode "user") under
// the prefix, with the boundary.
func signingUserStatements(iam func(kind string) string, boundary map[string]any) []map[string]any {
	return []map[string]any{
		{"Sid": "SigningUserWithBoundary", "Action": []string{
			"iam:CreateUser", "iam:PutUserPermissionsBoundary", "iam:PutUserPolicy", "iam:DeleteUserPolicy",
		}, "Resource": iam("user"), "Condition": boundary},
		{"Sid": "ManageSigningUser", "Action": []string{
			"iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:DeleteUser", "iam:GetUser", "iam:GetUserPolicy",
			"iam:ListAccessKeys", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies", "iam:TagUser", "iam:UntagUser",
			"iam:UpdateAccessKey",
		}, "Resource": iam("user")},
	}
}

// neverStatements deny what no deployment may do, whatever else allows it:
// attach an admin policy, or widen anyone's rights.
func neverStatements(env string) []map[string]any {
	arn := func(kind, name string) string {
		return "arn:${AWS::Partition}:iam::${AWS::AccountId}:" + kind + "/" + name
	}
	return []map[string]any{{
		// The delivery's own policies and GitHub roles share the app's
		// prefix: the execution role must not rewrite the policy it runs
		// with, the boundary that caps the app's roles, or who may deploy.
		"Sid": "NeverRewriteDelivery", "Effect": "Deny",
		"Action": []string{
			"iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
			"iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
			"iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PassRole", "iam:UpdateRole",
		},
		"Resource": []string{
			arn("policy", ExecutionPolicyName(env)), arn("policy", BoundaryPolicyName(env)),
			arn("role", RolesStackName(env)+"-*"),
		},
	}, {
		"Sid": "NeverAdmin", "Effect": "Deny",
		"Action":    []string{"iam:AttachRolePolicy", "iam:AttachUserPolicy", "iam:AttachGroupPolicy"},
		"Resource":  "*",
		"Condition": map[string]any{"ArnLike": map[string]any{"iam:PolicyARN": adminPolicies}},
	}, {
		"Sid": "NeverWiden", "Effect": "Deny",
		"Action": []string{
			"account:*", "organizations:*", "iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
			"iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:CreateOpenIDConnectProvider", "iam:CreateSAMLProvider",
		},
		"Resource": "*",
	}}
}

// subAll turns every string holding a ${AWS::…} reference into an Fn::Sub
// token.
func subAll(v any) any {
	switch t := v.(type) {
	case string:
		if containsRef(t) {
			return awscdk.Fn_Sub(jsii.String(t), nil)
		}
		return t
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = subAll(x)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, s := range t {
			out[i] = subAll(s)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = subAll(x)
		}
		return out
	default:
		return v
	}
}

func containsRef(s string) bool { return strings.Contains(s, "${AWS:") }
