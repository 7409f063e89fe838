package bootstrap

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
)

func TestLoadSettings(t *testing.T) {
	t.Run("defaults for provider and qualifier; comments skipped", func(t *testing.T) {
		s, err := LoadSettings(json.RawMessage(`{"//":"note","owner":"acme","repo":"uploads"}`), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := Settings{Owner: "acme", Repo: "uploads", OIDCProvider: ProviderCreate, Qualifier: DefaultQualifier}
		if s != want {
			t.Errorf("got %+v, want %+v", s, want)
		}
	})
	t.Run("a Go value from the CDK context", func(t *testing.T) {
		s, err := LoadSettings(map[string]any{"owner": "acme", "repo": "uploads", "oidcProvider": "existing"}, "custom1", "42")
		if err != nil || s.OIDCProvider != ProviderExisting || s.Qualifier != "custom1" || s.RepositoryID != "42" {
			t.Errorf("got %+v, %v", s, err)
		}
	})
	t.Run("every bad setting is reported at once", func(t *testing.T) {
		_, err := LoadSettings(json.RawMessage(`{"owner":"-bad","repo":"a/b","oidcProvider":"maybe","extra":1,"repositoryId":"12ab"}`), "waytoolongqualifier", nil)
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{"github.extra: unknown setting", "github.owner:", "github.repo:", "github.oidcProvider:", "github.repositoryId:", "@aws-cdk/core:bootstrapQualifier:"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	})
	t.Run("missing context", func(t *testing.T) {
		if _, err := LoadSettings(nil, nil, nil); err == nil || !strings.Contains(err.Error(), `context "github" is missing`) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a value of the wrong type", func(t *testing.T) {
		if _, err := LoadSettings(json.RawMessage(`{"owner":1,"repo":"r"}`), nil, nil); err == nil || !strings.Contains(err.Error(), "github.owner: want a string") {
			t.Errorf("got %v", err)
		}
	})
}

func TestCommittedCDKJSONHasValidGitHubSettings(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadCDKJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	// The committed file leaves the repository id to make bootstrap (it
	// looks it up or asks); the bootstrap app refuses to build without it.
	if s.RepositoryID == "" {
		if err := s.CheckRepositoryID(); err == nil || !strings.Contains(err.Error(), "gh api repos/"+s.Owner+"/"+s.Repo+" --jq .id") {
			t.Errorf("an empty repository id is not refused with the way to find it: %v", err)
		}
	}
	s.RepositoryID = "42"
	if err := s.CheckRepositoryID(); err != nil {
		t.Errorf("control: %v", err)
	}
}

func TestSubjects(t *testing.T) {
	s := Settings{Owner: "acme", Repo: "uploads", RepositoryID: "42"}
	if got := s.JobWorkflowRef(); got != "acme/uploads/.github/workflows/deploy-env.yml@refs/heads/main" {
		t.Errorf("JobWorkflowRef = %s", got)
	}
	if got := s.DiffSubject(); got != "repo:acme/uploads:pull_request" {
		t.Errorf("DiffSubject = %s", got)
	}
}

func TestPreflight(t *testing.T) {
	env := config.Environment{Name: "prod", Account: "111111111111", Region: "eu-west-1"}
	s := Settings{Owner: "acme", Repo: "uploads"}
	caller := func(account string) func() (string, error) { return func() (string, error) { return account, nil } }
	noGH := func(string, string) (string, error) { return "", os.ErrNotExist }

	t.Run("asks for the id when gh cannot tell, and passes it on", func(t *testing.T) {
		var prompt strings.Builder
		res, err := Preflight(env, s, PreflightDeps{CallerAccount: caller("111111111111"), LookupRepositoryID: noGH, Prompt: &prompt, Answers: strings.NewReader("987654\n")})
		if err != nil || res.RepositoryID != "987654" || res.ExecutionPolicyArn != "arn:aws:iam::111111111111:policy/s3presign-prod-cfn-execution" {
			t.Fatalf("got %+v, %v", res, err)
		}
		if !strings.Contains(prompt.String(), "gh api repos/acme/uploads --jq .id") {
			t.Errorf("the question does not say how to find the id: %q", prompt.String())
		}
	})
	t.Run("gh's answer is used without a question", func(t *testing.T) {
		res, err := Preflight(env, s, PreflightDeps{CallerAccount: caller("111111111111"),
			LookupRepositoryID: func(o, r string) (string, error) { return "555\n", nil }})
		if err != nil || res.RepositoryID != "555" {
			t.Fatalf("got %+v, %v", res, err)
		}
	})
	t.Run("refuses a bad answer, another account's credentials and an empty account, all at once", func(t *testing.T) {
		_, err := Preflight(env, s, PreflightDeps{CallerAccount: caller("999999999999"), LookupRepositoryID: noGH, Prompt: &strings.Builder{}, Answers: strings.NewReader("acme/uploads\n")})
		if err == nil || !strings.Contains(err.Error(), "belong to account 999999999999") || !strings.Contains(err.Error(), "github.repositoryId") {
			t.Errorf("got %v", err)
		}
		_, err = Preflight(config.Environment{Name: "dev"}, Settings{Owner: "acme", Repo: "uploads", RepositoryID: "1"}, PreflightDeps{CallerAccount: caller("111111111111")})
		if err == nil || !strings.Contains(err.Error(), "dev.account: empty") {
			t.Errorf("got %v", err)
		}
	})
}
