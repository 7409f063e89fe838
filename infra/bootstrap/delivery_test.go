package bootstrap_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/bootstrap"
	"github.com/s3presign/s3presign/infra/config"
)

const testRepoID = "123456789"

var delivery = bootstrap.Settings{Owner: "acme", Repo: "uploads", OIDCProvider: bootstrap.ProviderCreate, Qualifier: bootstrap.DefaultQualifier, RepositoryID: testRepoID}

// templateOf returns a stack's synthesized template as plain JSON.
func templateOf(t *testing.T, st awscdk.Stack) map[string]any {
	t.Helper()
	b, err := json.Marshal(assertions.Template_FromStack(st, nil).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// cdkEnv loads one environment from the committed cdk.json.
func cdkEnv(t *testing.T, name string) config.Environment {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := config.LoadCDKJSON(data, name)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// bootstrapTemplates synthesizes env's bootstrap stacks.
type bootstrapTemplates struct {
	roles, exec map[string]any
}

func synthBootstrap(t *testing.T, env config.Environment) bootstrapTemplates {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{AnalyticsReporting: jsii.Bool(false)})
	s := delivery
	st := bootstrap.Build(app, &env, &s)
	return bootstrapTemplates{roles: templateOf(t, st.Roles), exec: templateOf(t, st.Execution)}
}

func resources(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		if rm := r.(map[string]any); typ == "" || rm["Type"] == typ {
			out[id] = rm
		}
	}
	return out
}

// role returns the trust policy and permission policies of the role whose
// logical ID starts with prefix.
func role(t *testing.T, tpl map[string]any, prefix string) (trust, perms []statement) {
	t.Helper()
	for id, r := range resources(tpl, "AWS::IAM::Role") {
		if !strings.HasPrefix(id, prefix) {
			continue
		}
		props := r["Properties"].(map[string]any)
		trust = parseDocument(t, props["AssumeRolePolicyDocument"])
		for _, p := range resources(tpl, "AWS::IAM::Policy") {
			pp := p["Properties"].(map[string]any)
			for _, ref := range pp["Roles"].([]any) {
				if ref.(map[string]any)["Ref"] == id {
					perms = append(perms, parseDocument(t, pp["PolicyDocument"])...)
				}
			}
		}
		if props["ManagedPolicyArns"] != nil || props["Policies"] != nil {
			t.Errorf("role %s has managed or inline policies beside its one policy", id)
		}
		return trust, perms
	}
	t.Fatalf("no role %s*", prefix)
	return nil, nil
}

// token is the claims of a GitHub OIDC token, as STS condition keys.
func token(claims map[string]string) request {
	ctx := map[string]string{}
	for k, v := range claims {
		ctx[bootstrap.Claim(k)] = v
	}
	return request{Action: "sts:AssumeRoleWithWebIdentity", Resource: "*", Context: ctx}
}

// mainDeploy is the token of deploy-env.yml's job on main in env.
func mainDeploy(env string) map[string]string {
	return map[string]string{
		"aud": "sts.amazonaws.com", "sub": "repo:acme/uploads:environment:" + env, "repository_id": testRepoID,
		"repository": "acme/uploads", "environment": env, "ref": "refs/heads/main", "event_name": "push",
		"job_workflow_ref": "acme/uploads/.github/workflows/deploy-env.yml@refs/heads/main",
		"workflow_ref":     "acme/uploads/.github/workflows/deploy.yml@refs/heads/main",
	}
}

// pullRequest is the token of a same-repository pull request's job.
func pullRequest() map[string]string {
	return map[string]string{
		"aud": "sts.amazonaws.com", "sub": "repo:acme/uploads:pull_request", "repository_id": testRepoID,
		"repository": "acme/uploads", "ref": "refs/pull/7/merge", "event_name": "pull_request",
		"job_workflow_ref": "acme/uploads/.github/workflows/pull-request.yml@refs/pull/7/merge",
	}
}

func with(claims map[string]string, changes map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range claims {
		out[k] = v
	}
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func TestDeployTrust(t *testing.T) {
	tpls := synthBootstrap(t, cdkEnv(t, "prod"))
	trust, _ := role(t, tpls.roles, "GitHubDeployRole")
	assume := func(claims map[string]string) bool { return allowed(t, [][]statement{trust}, token(claims)) }

	// The control: main's deploy workflow, in the right environment.
	if !assume(mainDeploy("prod")) {
		t.Fatalf("main's deploy job in prod cannot assume the prod deploy role; trust: %s", jsonOf(trust))
	}
	denials := map[string]map[string]string{
		"another branch": with(mainDeploy("prod"), map[string]string{
			"ref": "refs/heads/feature", "job_workflow_ref": "acme/uploads/.github/workflows/deploy-env.yml@refs/heads/feature"}),
		"main's ref but the workflow file of another branch": with(mainDeploy("prod"), map[string]string{
			"job_workflow_ref": "acme/uploads/.github/workflows/deploy-env.yml@refs/heads/feature"}),
		"another workflow file":                       with(mainDeploy("prod"), map[string]string{"job_workflow_ref": "acme/uploads/.github/workflows/evil.yml@refs/heads/main"}),
		"a pull-request token":                        pullRequest(),
		"a pull-request token naming the environment": with(pullRequest(), map[string]string{"environment": "prod", "sub": "repo:acme/uploads:environment:prod"}),
		"another repository id":                       with(mainDeploy("prod"), map[string]string{"repository_id": "987654321"}),
		"missing job_workflow_ref":                    with(mainDeploy("prod"), map[string]string{"job_workflow_ref": ""}),
		"missing repository_id":                       with(mainDeploy("prod"), map[string]string{"repository_id": ""}),
		"wrong environment":                           mainDeploy("staging"),
		"another audience":                            with(mainDeploy("prod"), map[string]string{"aud": "https://github.com/acme"}),
	}
	for name, claims := range denials {
		if assume(claims) {
			t.Errorf("%s may assume the prod deploy role", name)
		}
	}
	// The trust policy uses only StringEquals: ForAllValues would match a
	// token without the claim.
	for _, st := range trust {
		for op := range st.Condition {
			if op != "StringEquals" {
				t.Errorf("trust uses %s; want StringEquals only", op)
			}
		}
		for _, key := range []string{"job_workflow_ref", "repository_id", "environment", "ref", "aud"} {
			if _, ok := st.Condition["StringEquals"][bootstrap.Claim(key)]; !ok {
				t.Errorf("deploy trust lacks %s", key)
			}
		}
	}
}

func TestDiffRole(t *testing.T) {
	tpls := synthBootstrap(t, cdkEnv(t, "prod"))
	trust, perms := role(t, tpls.roles, "GitHubDiffRole")
	assume := func(claims map[string]string) bool { return allowed(t, [][]statement{trust}, token(claims)) }
	if !assume(pullRequest()) {
		t.Fatalf("a pull request of this repository cannot assume the diff role; trust: %s", jsonOf(trust))
	}
	if assume(with(pullRequest(), map[string]string{"repository_id": "987654321"})) {
		t.Error("a pull request of another repository id may assume the diff role")
	}
	if assume(mainDeploy("prod")) {
		t.Error("a deploy token may assume the diff role (it trusts pull-request tokens only)")
	}

	can := func(action, resource string) bool {
		return allowed(t, [][]statement{perms}, request{Action: action, Resource: resource})
	}
	stack := "arn:aws:cloudformation:" + testRegion + ":" + testAccount + ":stack/s3presign-prod-service/0a1b2c3d-0000-0000-0000-000000000000"
	if !can("cloudformation:GetTemplate", stack) {
		t.Fatalf("the diff role may not GetTemplate on the app's stack; permissions: %s", jsonOf(perms))
	}
	if !can("sts:GetCallerIdentity", "*") {
		t.Error("the diff role may not call sts:GetCallerIdentity")
	}
	refused := []request{
		{"cloudformation:GetTemplate", "arn:aws:cloudformation:" + testRegion + ":" + testAccount + ":stack/other-app/0a1b", nil},
		{"cloudformation:GetTemplate", "arn:aws:cloudformation:" + testRegion + ":" + testAccount + ":stack/s3presign-staging-service/0a1b", nil},
		{"s3:GetObject", "arn:aws:s3:::s3presign-prod-storage-uploads1234-abc/uploads/secret.pdf", nil},
		{"logs:GetLogEvents", "arn:aws:logs:" + testRegion + ":" + testAccount + ":log-group:s3presign-prod-service-audit:log-stream:x", nil},
		{"kms:Decrypt", "*", nil},
		{"cloudformation:UpdateStack", stack, nil},
	}
	for _, kind := range []string{"lookup", "deploy", "file-publishing", "image-publishing", "cfn-exec"} {
		refused = append(refused, request{"sts:AssumeRole", "arn:aws:iam::" + testAccount + ":role/cdk-hnb659fds-" + kind + "-role-" + testAccount + "-" + testRegion, nil})
	}
	for _, r := range refused {
		if can(r.Action, r.Resource) {
			t.Errorf("the diff role may %s on %s", r.Action, r.Resource)
		}
	}
}

func TestDeployRolePermissions(t *testing.T) {
	tpls := synthBootstrap(t, cdkEnv(t, "dev"))
	_, perms := role(t, tpls.roles, "GitHubDeployRole")
	cdkRole := func(kind string) string {
		return "arn:aws:iam::" + testAccount + ":role/cdk-hnb659fds-" + kind + "-role-" + testAccount + "-" + testRegion
	}
	for _, kind := range []string{"deploy", "file-publishing", "image-publishing"} {
		if !allowed(t, [][]statement{perms}, request{Action: "sts:AssumeRole", Resource: cdkRole(kind)}) {
			t.Errorf("the deploy role may not assume the %s role", kind)
		}
	}
	for _, kind := range []string{"lookup", "cfn-exec"} {
		if allowed(t, [][]statement{perms}, request{Action: "sts:AssumeRole", Resource: cdkRole(kind)}) {
			t.Errorf("the deploy role may assume the %s role", kind)
		}
	}
	if !allowed(t, [][]statement{perms}, request{Action: "cloudformation:GetTemplate",
		Resource: "arn:aws:cloudformation:" + testRegion + ":" + testAccount + ":stack/s3presign-dev-storage/x"}) {
		t.Error("the deploy role may not read its environment's templates (make diff-live, guard-live)")
	}
}

// TestNoPathToBootstrapRoles: besides the deploy role's three named CDK
// roles, no statement in the roles stack names a cdk-* role or a wildcard
// role, and every web-identity trust pins repository_id and (for deploy
// roles) job_workflow_ref.
func TestNoPathToBootstrapRoles(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		tpls := synthBootstrap(t, cdkEnv(t, env))
		_, diff := role(t, tpls.roles, "GitHubDiffRole")
		for _, st := range diff {
			for _, a := range st.Action {
				if strings.HasPrefix(strings.ToLower(a), "sts:assume") {
					t.Errorf("%s: the diff role may %s", env, a)
				}
			}
		}
		for id, r := range resources(tpls.roles, "AWS::IAM::Role") {
			doc := jsonOf(r["Properties"].(map[string]any)["AssumeRolePolicyDocument"])
			if !strings.Contains(doc, "repository_id") || strings.Contains(doc, "ForAllValues") || strings.Contains(doc, "StringLike") {
				t.Errorf("%s: %s's trust %s does not pin repository_id with StringEquals", env, id, doc)
			}
			if strings.HasPrefix(id, "GitHubDeployRole") && !strings.Contains(doc, "job_workflow_ref") {
				t.Errorf("%s: the deploy role's trust lacks job_workflow_ref", env)
			}
		}
	}
}
