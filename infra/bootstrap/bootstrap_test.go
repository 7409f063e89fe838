package bootstrap

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/config"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// synth builds the bootstrap stacks for env and returns them with their
// templates as plain JSON.
func synth(t *testing.T, env config.Environment, s Settings) (Stacks, map[string]map[string]any) {
	t.Helper()
	if testing.Short() {
		t.Skip("synthesizes CDK stacks through jsii (tens of seconds): skipped under -short (make check); make test and make diff run it")
	}
	app := awscdk.NewApp(&awscdk.AppProps{
		AnalyticsReporting: jsii.Bool(false),
		// The app's synthesizer reads the same qualifier the roles use.
		Context: &map[string]any{QualifierContextKey: s.Qualifier},
	})
	stacks := Build(app, &env, &s)
	out := map[string]map[string]any{}
	for _, st := range []awscdk.Stack{stacks.Provider, stacks.Roles, stacks.Execution} {
		if st == nil {
			continue
		}
		raw := assertions.Template_FromStack(st, nil).ToJSON()
		b, err := json.Marshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out[*st.StackName()] = m
	}
	return stacks, out
}

var testSettings = Settings{Owner: "acme", Repo: "uploads", OIDCProvider: ProviderCreate, Qualifier: DefaultQualifier, RepositoryID: "42"}

// resourcesOfType returns the resources of one type, by logical ID.
func resourcesOfType(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	res, _ := tpl["Resources"].(map[string]any)
	for id, r := range res {
		rm := r.(map[string]any)
		if rm["Type"] == typ {
			out[id] = rm
		}
	}
	return out
}

// roleByDescription finds the role whose Description starts with prefix.
func roleByDescription(t *testing.T, tpl map[string]any, contains string) (string, map[string]any) {
	t.Helper()
	for id, r := range resourcesOfType(tpl, "AWS::IAM::Role") {
		props := r["Properties"].(map[string]any)
		if d, _ := props["Description"].(string); strings.Contains(d, contains) {
			return id, props
		}
	}
	t.Fatalf("no role whose description contains %q", contains)
	return "", nil
}

func sub(s string) map[string]any { return map[string]any{"Fn::Sub": s} }

const providerArn = "arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com"

func cdkRole(kind string) map[string]any {
	return sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-" + kind + "-role-${AWS::AccountId}-${AWS::Region}")
}

func trust(conditions map[string]any) map[string]any {
	return map[string]any{
		"Statement": []any{map[string]any{
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Condition": conditions,
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": sub(providerArn)},
		}},
		"Version": "2012-10-17",
	}
}

// TestTrustPolicies pins each role's whole trust policy: one statement,
// StringEquals only, every claim named.
func TestTrustPolicies(t *testing.T) {
	claims := func(kv ...string) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m["token.actions.githubusercontent.com:"+kv[i]] = kv[i+1]
		}
		return map[string]any{"StringEquals": m}
	}
	tests := []struct {
		name, env, role string
		wantTrust       map[string]any
	}{
		{
			name: "prod deploy role: main's deploy workflow in the GitHub Environment prod",
			env:  "prod", role: "deploys from",
			wantTrust: trust(claims("aud", "sts.amazonaws.com", "sub", "repo:acme/uploads:environment:prod", "repository_id", "42",
				"environment", "prod", "job_workflow_ref", "acme/uploads/.github/workflows/deploy-env.yml@refs/heads/main", "ref", "refs/heads/main")),
		},
		{
			name: "dev deploy role: the same pins, environment dev",
			env:  "dev", role: "deploys from",
			wantTrust: trust(claims("aud", "sts.amazonaws.com", "sub", "repo:acme/uploads:environment:dev", "repository_id", "42",
				"environment", "dev", "job_workflow_ref", "acme/uploads/.github/workflows/deploy-env.yml@refs/heads/main", "ref", "refs/heads/main")),
		},
		{
			name: "prod diff role: pull requests of this repository id",
			env:  "prod", role: "GitHub pull requests diff",
			wantTrust: trust(claims("aud", "sts.amazonaws.com", "sub", "repo:acme/uploads:pull_request", "repository_id", "42")),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, tpls := synth(t, config.Environment{Name: tt.env}, testSettings)
			_, props := roleByDescription(t, tpls[RolesStackName(tt.env)], tt.role)
			if got := props["AssumeRolePolicyDocument"]; !reflect.DeepEqual(got, tt.wantTrust) {
				t.Errorf("trust policy:\n got %s\nwant %s", js(got), js(tt.wantTrust))
			}
		})
	}
}

func TestNoRoleCanDoAnythingElse(t *testing.T) {
	_, tpls := synth(t, config.Environment{Name: "staging"}, testSettings)
	tpl := tpls[RolesStackName("staging")]
	if n := len(resourcesOfType(tpl, "AWS::IAM::Role")); n != 2 {
		t.Errorf("%d roles, want 2 (deploy and diff)", n)
	}
	// The one wildcard resource is sts:GetCallerIdentity's, which has no
	// resource-level permissions.
	text := strings.Replace(js(tpl), `"Action":"sts:GetCallerIdentity","Effect":"Allow","Resource":"*"`, "", 1)
	for _, bad := range []string{`"Resource":"*"`, `"sts:*"`, "cfn-exec-role", "lookup-role", `"iam:`, "AdministratorAccess"} {
		if strings.Contains(text, bad) {
			t.Errorf("roles stack contains %s", bad)
		}
	}
}

func TestProviderStack(t *testing.T) {
	t.Run("create: one native provider, retained, with the STS audience", func(t *testing.T) {
		stacks, tpls := synth(t, config.Environment{Name: "dev"}, testSettings)
		providers := resourcesOfType(tpls[ProviderStackName], "AWS::IAM::OIDCProvider")
		if len(providers) != 1 {
			t.Fatalf("%d OIDC providers, want 1", len(providers))
		}
		for _, p := range providers {
			props := p["Properties"].(map[string]any)
			if props["Url"] != "https://token.actions.githubusercontent.com" || !reflect.DeepEqual(props["ClientIdList"], []any{"sts.amazonaws.com"}) {
				t.Errorf("provider properties %s", js(props))
			}
			if p["DeletionPolicy"] != "Retain" {
				t.Errorf("provider DeletionPolicy = %v, want Retain (other repositories may use it)", p["DeletionPolicy"])
			}
		}
		deps := stacks.Roles.Dependencies()
		if deps == nil || len(*deps) != 1 || *(*deps)[0].StackName() != ProviderStackName {
			t.Error("the roles stack does not depend on the provider stack")
		}
	})
	t.Run("existing: no provider stack, roles trust the account's provider", func(t *testing.T) {
		s := testSettings
		s.OIDCProvider = ProviderExisting
		stacks, tpls := synth(t, config.Environment{Name: "dev"}, s)
		if stacks.Provider != nil {
			t.Error("a provider stack was built")
		}
		if !strings.Contains(js(tpls[RolesStackName("dev")]), "oidc-provider/token.actions.githubusercontent.com") {
			t.Error("roles do not trust the account's GitHub provider")
		}
	})
}

func TestQualifierAndEnvironment(t *testing.T) {
	s := testSettings
	s.Qualifier = "custom1"
	stacks, tpls := synth(t, config.Environment{Name: "prod", Account: "111111111111", Region: "eu-west-1"}, s)
	if got := *stacks.Roles.Account() + "/" + *stacks.Roles.Region(); got != "111111111111/eu-west-1" {
		t.Errorf("roles stack environment %s, want 111111111111/eu-west-1", got)
	}
	text := js(tpls[RolesStackName("prod")])
	if !strings.Contains(text, "cdk-custom1-deploy-role-") || strings.Contains(text, "hnb659fds") {
		t.Errorf("the configured qualifier is not used everywhere: %s", text)
	}
}

func TestOutputsNameTheGitHubVariables(t *testing.T) {
	_, tpls := synth(t, config.Environment{Name: "staging"}, testSettings)
	outputs, _ := tpls[RolesStackName("staging")]["Outputs"].(map[string]any)
	want := map[string]string{
		OutputDeployRoleArn: "variable AWS_DEPLOY_ROLE_ARN of the GitHub Environment staging",
		OutputDiffRoleArn:   "repository variable AWS_DIFF_ROLE_ARN_STAGING",
		OutputRegion:        "repository variable AWS_REGION_STAGING",
	}
	for name, desc := range want {
		o, ok := outputs[name].(map[string]any)
		if !ok || !strings.Contains(o["Description"].(string), desc) {
			t.Errorf("output %s = %v, want a description naming %q", name, o, desc)
		}
	}
}

// TestCdkNagFindsNothing runs the AwsSolutions pack (added by Build) and
// wants no error or warning on either stack.
func TestCdkNagFindsNothing(t *testing.T) {
	stacks, _ := synth(t, config.Environment{Name: "prod"}, testSettings)
	for _, st := range []awscdk.Stack{stacks.Provider, stacks.Roles, stacks.Execution} {
		ann := assertions.Annotations_FromStack(st)
		var found []string
		for _, m := range append(*ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))),
			*ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))...) {
			found = append(found, *m.Id+": "+js(m.Entry.Data))
		}
		sort.Strings(found)
		if len(found) > 0 {
			t.Errorf("%s: cdk-nag findings:\n%s", *st.StackName(), strings.Join(found, "\n"))
		}
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestCdkNagCanFail is the control for TestCdkNagFindsNothing: a wildcard
// permission added to the roles stack must show up as a finding.
func TestCdkNagCanFail(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{AnalyticsReporting: jsii.Bool(false)})
	env := config.Environment{Name: "dev"}
	s := testSettings
	stacks := Build(app, &env, &s)
	stacks.GitHubRoles.DeployRole.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:*"),
		Resources: jsii.Strings("*"),
	}))
	found := assertions.Annotations_FromStack(stacks.Roles).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-IAM5.*")))
	if len(*found) == 0 {
		t.Error("cdk-nag reported no AwsSolutions-IAM5 for s3:* on *")
	}
}
