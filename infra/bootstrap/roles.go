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

// CDK bootstrap role kinds (cdk-<qualifier>-<kind>-role-<account>-<region>).
const (
	RoleDeploy          = "deploy"
	RoleFilePublishing  = "file-publishing"
	RoleImagePublishing = "image-publishing"
	RoleLookup          = "lookup"
)

// DeployRoleKinds are the bootstrap roles `cdk deploy` assumes: it never
// needs the cfn-exec role, which CloudFormation itself assumes, nor the
// lookup role, which has AWS ReadOnlyAccess: the app makes no context
// lookups, and the deploy role reads the deployed templates itself.
var DeployRoleKinds = []string{RoleDeploy, RoleFilePublishing, RoleImagePublishing}

// Template-reading actions: all the live diff needs (fetch-deployed.sh calls
// GetTemplate; DescribeStacks tells a missing stack from a denied one).
var templateReadActions = []string{"cloudformation:GetTemplate", "cloudformation:DescribeStacks"}

// Output names of the roles stack; each says where its value goes.
const (
	OutputDeployRoleArn = "DeployRoleArn"
	OutputDiffRoleArn   = "DiffRoleArn"
	OutputRegion        = "Region"
	// OutputExecutionPolicyArn is the execution policy's ARN (execution stack).
	OutputExecutionPolicyArn = "ExecutionPolicyArn"
)

// ProviderArn is the GitHub OIDC provider's ARN in the deploying account;
// an account has at most one provider per URL, so the ARN is fixed.
func ProviderArn() *string {
	return awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/"+ProviderHost), nil)
}

// AppStackArns matches the ARNs of env's stacks in the deploying account and
// region: the only stacks the GitHub roles may read.
func AppStackArns(env string) *string {
	return awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/"+NamePrefix(env)+"*/*"), nil)
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
	// DeployRole is assumed by deploy-env.yml's job, from main only, in the
	// GitHub Environment of the same name.
	DeployRole awsiam.Role
	// DiffRole is assumed by pull-request.yml: it reads this environment's
	// deployed templates and nothing else.
	DiffRole awsiam.Role
}

// NewGitHubRoles creates the deploy and diff roles of one environment.
func NewGitHubRoles(scope constructs.Construct, id string, props *GitHubRolesProps) *GitHubRoles {
	c := constructs.NewConstruct(scope, jsii.String(id))
	s, env := props.Settings, props.Env
	r := &GitHubRoles{Construct: c}

	r.DeployRole = newRole(c, "DeployRole",
		"s3presign "+env.Name+": deploys from "+s.JobWorkflowRef()+" in the GitHub Environment "+env.Name+
			"; may read this environment's templates and assume the CDK deploy and publishing roles",
		s.DeployTrust(*env))
	allowTemplateReads(r.DeployRole, env.Name)
	assumable := cdkRoleArns(s.Qualifier, DeployRoleKinds)
	r.DeployRole.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("AssumeCdkDeployRoles"),
		Actions:   jsii.Strings("sts:AssumeRole", "sts:TagSession"),
		Resources: &assumable,
	}))

	r.DiffRole = newRole(c, "DiffRole",
		"s3presign "+env.Name+": GitHub pull requests diff ("+s.DiffSubject()+"); may only read this environment's templates",
		s.DiffTrust())
	allowTemplateReads(r.DiffRole, env.Name)
	// GetCallerIdentity needs no permission (AWS answers it even under an
	// explicit Deny); it is listed so the role's policy names everything
	// fetch-deployed.sh calls.
	r.DiffRole.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WhoAmI"),
		Actions:   jsii.Strings("sts:GetCallerIdentity"),
		Resources: jsii.Strings("*"),
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(r.DiffRole, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("sts:GetCallerIdentity has no resource-level permissions"),
		AppliesTo: &[]any{jsii.String("Resource::*")},
	}}, jsii.Bool(true))

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

// allowTemplateReads lets role read the templates of env's stacks.
func allowTemplateReads(role awsiam.Role, env string) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadAppTemplates"),
		Actions:   jsii.Strings(templateReadActions...),
		Resources: &[]*string{AppStackArns(env)},
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("a stack ARN ends in an id CloudFormation generates; the pattern is env's stacks only"),
		AppliesTo: &[]any{jsii.String("Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/" +
			NamePrefix(env) + "*/*")},
	}}, jsii.Bool(true))
}

// newRole makes a role that only GitHub's OIDC tokens matching every claim
// in trust (StringEquals: an absent claim fails) can assume, for at most an
// hour. Its permissions are added by the caller.
func newRole(scope constructs.Construct, id, description string, trust map[string]any) awsiam.Role {
	conditions := map[string]any{"StringEquals": trust}
	return awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		AssumedBy:          awsiam.NewWebIdentityPrincipal(ProviderArn(), &conditions),
		Description:        jsii.String(description),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
}
