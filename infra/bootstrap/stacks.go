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
