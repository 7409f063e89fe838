package ci

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// workflowDir is the repository's workflow folder, from this package.
const workflowDir = "../../../.github/workflows"

func readWorkflows(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(workflowDir, "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(workflowDir, "*.yaml"))
	files = append(files, more...)
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = data
	}
	return out
}

func TestWorkflowsFollowTheRules(t *testing.T) {
	wfs := readWorkflows(t)
	for _, want := range []string{"pull-request.yml", "deploy.yml", "deploy-env.yml"} {
		if _, ok := wfs[want]; !ok {
			t.Errorf("missing workflow %s", want)
		}
	}
	for name, data := range wfs {
		for _, p := range Check(name, data) {
			t.Error(p)
		}
	}
}

// TestCheckCatchesBrokenWorkflows is the negative control: the checker must
// report each rule the fixture breaks, and nothing for the lines that obey.
func TestCheckCatchesBrokenWorkflows(t *testing.T) {
	data, err := os.ReadFile("testdata/bad-workflow.yml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range Check("bad-workflow.yml", data) {
		got = append(got, p.String())
	}
	want := []string{
		`bad-workflow.yml:4: workflow-level permissions must be ` + "`{}`" + ` (grant per job), got "write-all"`,
		`bad-workflow.yml:11: job tag-pinned step 1: actions/checkout@v7 is not pinned to a full 40-character commit SHA`,
		`bad-workflow.yml:12: job tag-pinned step 2: actions/setup-go@b7ad1dad is not pinned to a full 40-character commit SHA`,
		`bad-workflow.yml:13: job tag-pinned step 3: actions/setup-node@820762786026740c76f36085b0efc47a31fe5020 has no ` + "`# vX.Y.Z`" + ` comment naming the release it pins`,
		`bad-workflow.yml:14: job tag-pinned step 4: docker://alpine:3.22 is not pinned to a sha256 digest`,
		`bad-workflow.yml:17: job no-permissions sets no permissions`,
		`bad-workflow.yml:22: job blanket-permissions: permissions must list scopes, not "write-all"`,
		`bad-workflow.yml:23: job blanket-permissions: octo-org/shared/.github/workflows/deploy.yml@main is not pinned to a full 40-character commit SHA`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCheckRejectsNonWorkflows(t *testing.T) {
	for _, in := range []string{"key: [unclosed", "- a list"} {
		if ps := Check("x.yml", []byte(in)); len(ps) != 1 {
			t.Errorf("Check(%q) = %v, want one problem", in, ps)
		}
	}
}

// node parses a workflow for the structural tests below.
func node(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func get(m any, path ...string) any {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[p]
	}
	return m
}

func TestPullRequestWorkflow(t *testing.T) {
	wf := node(t, readWorkflows(t)["pull-request.yml"])
	types, _ := get(wf, "on", "pull_request", "types").([]any)
	for _, want := range []string{"labeled", "unlabeled", "synchronize"} {
		if !slices.Contains(types, any(want)) {
			t.Errorf("pull_request types %v lack %q: adding the allow label must re-run the check", types, want)
		}
	}
	if got := get(wf, "jobs", "test", "steps"); !strings.Contains(dump(t, got), "run: make test") {
		t.Error("the test job does not run make test")
	}
	plan := dump(t, get(wf, "jobs", "plan"))
	for _, want := range []string{"make synth", "make --no-print-directory guard ", "aws-actions/configure-aws-credentials@",
		"make --no-print-directory diff-live", "make --no-print-directory guard-live", "actions/github-script@", "allow-stateful-change",
		"env: dev", "env: staging", "env: prod"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan job lacks %q", want)
		}
	}
	if got := get(wf, "jobs", "plan", "permissions", "id-token"); got != "write" {
		t.Errorf("plan job id-token permission = %v, want write (OIDC)", got)
	}
}

func TestDeployWorkflows(t *testing.T) {
	wfs := readWorkflows(t)
	deploy := node(t, wfs["deploy.yml"])
	if got := get(deploy, "on", "push", "branches"); !reflect.DeepEqual(got, []any{"main"}) {
		t.Errorf("deploy runs on push to %v, want [main]", got)
	}
	order := []struct{ job, needs string }{{"dev", ""}, {"staging", "dev"}, {"prod", "staging"}}
	for _, o := range order {
		if got := get(deploy, "jobs", o.job, "with", "environment"); got != o.job {
			t.Errorf("job %s deploys environment %v", o.job, got)
		}
		if got := get(deploy, "jobs", o.job, "uses"); got != "./.github/workflows/deploy-env.yml" {
			t.Errorf("job %s uses %v", o.job, got)
		}
		if got, _ := get(deploy, "jobs", o.job, "needs").(string); got != o.needs {
			t.Errorf("job %s needs %q, want %q", o.job, got, o.needs)
		}
		// The first stage is pinned to main (a manual run can pick any
		// branch); the later ones need it, so they skip with it.
		if o.needs == "" && get(deploy, "jobs", o.job, "if") != "github.ref == 'refs/heads/main'" {
			t.Errorf("job %s may run on any branch: want if: github.ref == 'refs/heads/main'", o.job)
		}
	}

	env := node(t, wfs["deploy-env.yml"])
	job := get(env, "jobs", "deploy")
	if got := get(job, "if"); got != "github.ref == 'refs/heads/main'" {
		t.Errorf("deploy job if = %v, want it to run only on main", got)
	}
	if got := get(job, "environment"); got != "${{ inputs.environment }}" {
		t.Errorf("deploy job environment = %v, want the GitHub Environment named after the input", got)
	}
	if got := get(job, "concurrency", "group"); got != "deploy-${{ inputs.environment }}" {
		t.Errorf("concurrency group = %v, want one per environment", got)
	}
	if got := get(job, "concurrency", "cancel-in-progress"); got != false {
		t.Errorf("cancel-in-progress = %v, want false: never cancel a deployment in flight", got)
	}
	// The deploy step comes after the diff and changeguard steps, in the same job.
	steps, _ := get(job, "steps").([]any)
	index := func(substr string) int {
		for i, s := range steps {
			if strings.Contains(dump(t, s), substr) {
				return i
			}
		}
		return -1
	}
	diff, guard, dep := index("make --no-print-directory diff-live"), index("make --no-print-directory guard-live"), index("make deploy")
	if diff < 0 || guard < 0 || dep < 0 || !(diff < dep && guard < dep) {
		t.Errorf("step order diff=%d guard=%d deploy=%d: deploy must come after diff and changeguard", diff, guard, dep)
	}
	if dep >= 0 && !strings.Contains(dump(t, steps[dep]), "--require-approval never") {
		t.Error("the deploy step does not pass --require-approval never")
	}
}

// TestOnlyMainDeploysCanFail is the control for the main-only checks: a
// deploy job without the guard is noticed.
func TestOnlyMainDeploysCanFail(t *testing.T) {
	wf := node(t, []byte("jobs:\n  deploy:\n    runs-on: ubuntu-24.04\n"))
	if get(wf, "jobs", "deploy", "if") == "github.ref == 'refs/heads/main'" {
		t.Error("a job without if reads as main-only")
	}
}

func dump(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
