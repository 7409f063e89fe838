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
		s, err := LoadSettings(json.RawMessage(`{"//":"note","owner":"acme","repo":"uploads"}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := Settings{Owner: "acme", Repo: "uploads", OIDCProvider: ProviderCreate, Qualifier: DefaultQualifier}
		if s != want {
			t.Errorf("got %+v, want %+v", s, want)
		}
	})
	t.Run("a Go value from the CDK context", func(t *testing.T) {
		s, err := LoadSettings(map[string]any{"owner": "acme", "repo": "uploads", "oidcProvider": "existing"}, "custom1")
		if err != nil || s.OIDCProvider != ProviderExisting || s.Qualifier != "custom1" {
			t.Errorf("got %+v, %v", s, err)
		}
	})
	t.Run("every bad setting is reported at once", func(t *testing.T) {
		_, err := LoadSettings(json.RawMessage(`{"owner":"-bad","repo":"a/b","oidcProvider":"maybe","extra":1}`), "waytoolongqualifier")
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{"github.extra: unknown setting", "github.owner:", "github.repo:", "github.oidcProvider:", "@aws-cdk/core:bootstrapQualifier:"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	})
	t.Run("missing context", func(t *testing.T) {
		if _, err := LoadSettings(nil, nil); err == nil || !strings.Contains(err.Error(), `context "github" is missing`) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a value of the wrong type", func(t *testing.T) {
		if _, err := LoadSettings(json.RawMessage(`{"owner":1,"repo":"r"}`), nil); err == nil || !strings.Contains(err.Error(), "github.owner: want a string") {
			t.Errorf("got %v", err)
		}
	})
}

func TestCommittedCDKJSONHasValidGitHubSettings(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Context map[string]json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	var qualifier any
	if q, ok := file.Context[QualifierContextKey]; ok {
		qualifier = q
	}
	if _, err := LoadSettings(file.Context[ContextKey], qualifier); err != nil {
		t.Error(err)
	}
}

func TestSubjects(t *testing.T) {
	s := Settings{Owner: "acme", Repo: "uploads"}
	tests := []struct {
		env    string
		wantOp string
		want   string
	}{
		{"prod", "StringEquals", "repo:acme/uploads:environment:prod"},
		{"staging", "StringEquals", "repo:acme/uploads:environment:staging"},
		{"dev", "StringEquals", "repo:acme/uploads:environment:dev"},
	}
	for _, tt := range tests {
		op, sub := s.DeploySubject(config.Environment{Name: tt.env})
		if op != tt.wantOp || sub != tt.want {
			t.Errorf("DeploySubject(%s) = %s %s, want %s %s", tt.env, op, sub, tt.wantOp, tt.want)
		}
	}
	if got := s.DiffSubject(); got != "repo:acme/uploads:pull_request" {
		t.Errorf("DiffSubject = %s", got)
	}
}
