package bootstrap

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3presign/s3presign/infra/config"
)

// ProviderStackName is the stack holding the account's GitHub OIDC provider,
// shared by every environment deployed to that account.
const ProviderStackName = "s3presign-github-oidc"

// RolesStackName is the stack with env's GitHub roles.
func RolesStackName(env string) string { return "s3presign-" + env + "-github" }

// Stacks are what Build adds to the app.
type Stacks struct {
	// Execution holds the CloudFormation execution policy and the
	// permissions boundary (deployed before `cdk bootstrap`).
	Execution awscdk.Stack
	// ExecutionPolicies is its construct.
	ExecutionPolicies *ExecutionPolicies
	// Provider is nil when Settings.OIDCProvider is ProviderExisting.
	Provider awscdk.Stack
	// Roles holds the environment's deploy and diff roles.
	Roles awscdk.Stack
	// GitHubRoles is the roles construct.
	GitHubRoles *GitHubRoles
}

// Build adds the bootstrap stacks for env to app and runs cdk-nag's
// AwsSolutions checks on them.
func Build(app awscdk.App, env *config.Environment, s *Settings) Stacks {
	base := awscdk.StackProps{
		Tags: &map[string]*string{"project": jsii.String("s3presign"), "environment": jsii.String(env.Name)},
	}
	if env.Account != "" {
		base.Env = &awscdk.Environment{Account: jsii.String(env.Account), Region: jsii.String(env.Region)}
	}
	var out Stacks
	execProps := base
	execProps.Description = jsii.String("s3presign " + env.Name + ": the CloudFormation execution policy and the permissions boundary of the app's roles")
	// `cdk bootstrap` needs this stack's policy, so it cannot use the
	// bootstrap's roles and bucket: it deploys with the caller's credentials.
	execProps.Synthesizer = awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{})
	out.Execution = awscdk.NewStack(app, jsii.String(ExecutionStackName(env.Name)), &execProps)
	out.ExecutionPolicies = NewExecutionPolicies(out.Execution, "Policies", &ExecutionPoliciesProps{Settings: s, Env: env})
	awscdk.NewCfnOutput(out.Execution, jsii.String(OutputExecutionPolicyArn), &awscdk.CfnOutputProps{
		Value:       out.ExecutionPolicies.Execution.ManagedPolicyArn(),
		Description: jsii.String("Passed to cdk bootstrap --cloudformation-execution-policies by make bootstrap"),
	})
	if s.OIDCProvider == ProviderCreate {
		props := base
		props.Tags = &map[string]*string{"project": jsii.String("s3presign")}
		props.Description = jsii.String("GitHub Actions OIDC identity provider (" + ProviderHost + "), retained on delete")
		out.Provider = awscdk.NewStack(app, jsii.String(ProviderStackName), &props)
		awsiam.NewOidcProviderNative(out.Provider, jsii.String("GitHubOidc"), &awsiam.OidcProviderNativeProps{
			Url:           jsii.String("https://" + ProviderHost),
			ClientIds:     jsii.Strings(Audience),
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
	}
	props := base
	props.Description = jsii.String("s3presign " + env.Name + ": roles GitHub Actions assume through OIDC to diff and deploy")
	out.Roles = awscdk.NewStack(app, jsii.String(RolesStackName(env.Name)), &props)
	out.GitHubRoles = NewGitHubRoles(out.Roles, "GitHub", &GitHubRolesProps{Settings: s, Env: env})
	if out.Provider != nil {
		out.Roles.AddStackDependency(out.Provider, jsii.String("the roles trust the OIDC provider"))
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true),
		Reports: jsii.Bool(false),
	}), nil)
	return out
}
