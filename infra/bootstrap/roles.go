package bootstrap

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/config"
)

// CDK bootstrap role kinds (cdk-<qualifier>-<kind>-role-<account>-<region>).
const (
	RoleDeploy          = "deploy"
	RoleFilePublishing  = "file-publishing"
	RoleImagePublishing = "image-publishing"
	RoleLookup          = "lookup"
)

// DeployRoleKinds are the bootstrap roles `cdk deploy` assumes: it never
// needs the cfn-exec role, which CloudFormation itself assumes.
var DeployRoleKinds = []string{RoleDeploy, RoleFilePublishing, RoleImagePublishing, RoleLookup}

// DiffRoleKinds are the bootstrap roles `cdk diff` and changeguard need:
// only the read-only lookup role.
var DiffRoleKinds = []string{RoleLookup}

// Output names of the roles stack; each says where its value goes.
const (
	OutputDeployRoleArn = "DeployRoleArn"
	OutputDiffRoleArn   = "DiffRoleArn"
	OutputRegion        = "Region"
)

// ProviderArn is the GitHub OIDC provider's ARN in the deploying account;
// an account has at most one provider per URL, so the ARN is fixed.
func ProviderArn() *string {
	return awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/"+ProviderHost), nil)
}

// CDKRoleArn is the ARN of one CDK bootstrap role in the deploying
// account and region.
func CDKRoleArn(qualifier, kind string) *string {
	return awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-"+qualifier+"-"+kind+"-role-${AWS::AccountId}-${AWS::Region}"), nil)
}

// GitHubRolesProps configures NewGitHubRoles.
type GitHubRolesProps struct {
	// Settings name the repository and the CDK qualifier.
	Settings *Settings
	// Env is the environment the roles deploy.
	Env *config.Environment
}

// GitHubRoles are one environment's roles for GitHub Actions.
type GitHubRoles struct {
	constructs.Construct
	// DeployRole is assumed by deploy.yml (prod: only from the GitHub
	// Environment "prod").
	DeployRole awsiam.Role
	// DiffRole is assumed by pull-request.yml for cdk diff and changeguard.
	DiffRole awsiam.Role
}

// NewGitHubRoles creates the deploy and diff roles of one environment.
func NewGitHubRoles(scope constructs.Construct, id string, props *GitHubRolesProps) *GitHubRoles {
	c := constructs.NewConstruct(scope, jsii.String(id))
	s, env := props.Settings, props.Env
	r := &GitHubRoles{Construct: c}

	op, sub := s.DeploySubject(*env)
	r.DeployRole = newRole(c, "DeployRole",
		"s3presign "+env.Name+": GitHub Actions deploys ("+sub+"); may only assume the CDK bootstrap roles",
		op, sub, cdkRoleArns(s.Qualifier, DeployRoleKinds))
	r.DiffRole = newRole(c, "DiffRole",
		"s3presign "+env.Name+": GitHub pull requests diff ("+s.DiffSubject()+"); may only assume the read-only CDK lookup role",
		"StringEquals", s.DiffSubject(), cdkRoleArns(s.Qualifier, DiffRoleKinds))

	stack := awscdk.Stack_Of(c)
	upper := strings.ToUpper(env.Name)
	awscdk.NewCfnOutput(stack, jsii.String(OutputDeployRoleArn), &awscdk.CfnOutputProps{
		Value:       r.DeployRole.RoleArn(),
		Description: jsii.String("Set as variable AWS_DEPLOY_ROLE_ARN of the GitHub Environment " + env.Name),
	})
	awscdk.NewCfnOutput(stack, jsii.String(OutputDiffRoleArn), &awscdk.CfnOutputProps{
		Value:       r.DiffRole.RoleArn(),
		Description: jsii.String("Set as repository variable AWS_DIFF_ROLE_ARN_" + upper),
	})
	awscdk.NewCfnOutput(stack, jsii.String(OutputRegion), &awscdk.CfnOutputProps{
		Value:       awscdk.Aws_REGION(),
		Description: jsii.String("Set as variable AWS_REGION of the GitHub Environment " + env.Name + " and as repository variable AWS_REGION_" + upper),
	})
	return r
}

func cdkRoleArns(qualifier string, kinds []string) []*string {
	out := make([]*string, len(kinds))
	for i, k := range kinds {
		out[i] = CDKRoleArn(qualifier, k)
	}
	return out
}

// newRole makes a role that only GitHub's OIDC tokens for sub (matched with
// operator) and audience sts.amazonaws.com can assume, allowed nothing but
// sts:AssumeRole (and sts:TagSession, which the CDK bootstrap roles trust
// alongside it) on the given roles.
func newRole(scope constructs.Construct, id, description, operator, sub string, assumable []*string) awsiam.Role {
	conditions := map[string]any{
		"StringEquals": map[string]any{ProviderHost + ":aud": Audience},
	}
	if operator == "StringEquals" {
		conditions["StringEquals"].(map[string]any)[ProviderHost+":sub"] = sub
	} else {
		conditions[operator] = map[string]any{ProviderHost + ":sub": sub}
	}
	role := awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		AssumedBy:          awsiam.NewWebIdentityPrincipal(ProviderArn(), &conditions),
		Description:        jsii.String(description),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("AssumeCdkBootstrapRoles"),
		Actions:   jsii.Strings("sts:AssumeRole", "sts:TagSession"),
		Resources: &assumable,
	}))
	return role
}
