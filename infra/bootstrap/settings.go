// Package bootstrap builds what GitHub Actions needs to deploy this app
// without stored AWS keys: the GitHub OIDC identity provider and, per
// environment, a deploy role and a read-only diff role that only this
// repository's workflows can assume, and that may do nothing but assume the
// CDK bootstrap roles (cdk deploy and cdk diff do the rest through them).
//
// It is a separate CDK app (infra/cmd/bootstrap), deployed once per
// environment by `make bootstrap ENV=…` after `cdk bootstrap`.
package bootstrap

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"github.com/s3presign/s3presign/infra/config"
)

// ContextKey is the cdk.json context key with the Settings.
const ContextKey = "github"

// OIDC provider modes.
const (
	// ProviderCreate creates the account's GitHub OIDC provider in its own
	// stack (retained on delete: other repositories may use it too).
	ProviderCreate = "create"
	// ProviderExisting uses the provider the account already has (an
	// account holds at most one per URL).
	ProviderExisting = "existing"
)

// GitHub's OIDC issuer and the audience configure-aws-credentials asks for.
const (
	ProviderHost = "token.actions.githubusercontent.com"
	Audience     = "sts.amazonaws.com"
)

// DefaultQualifier is the CDK bootstrap qualifier `cdk bootstrap` uses unless
// told otherwise.
const DefaultQualifier = "hnb659fds"

// QualifierContextKey is the standard CDK context key for a custom bootstrap
// qualifier; `cdk bootstrap`, the stack synthesizers and these roles all read
// it, so they cannot disagree.
const QualifierContextKey = "@aws-cdk/core:bootstrapQualifier"

// Settings are read from cdk.json's "github" context object.
type Settings struct {
	// Owner is the GitHub user or organisation (owner), as GitHub spells it:
	// the sub claim is compared case-sensitively.
	Owner string
	// Repo is the repository name (repo).
	Repo string
	// OIDCProvider is ProviderCreate (default) or ProviderExisting (oidcProvider).
	OIDCProvider string
	// Qualifier is the CDK bootstrap qualifier: the context value
	// QualifierContextKey, default hnb659fds.
	Qualifier string
	// RepositoryID is the repository's numeric id (repositoryId, or the
	// context value RepositoryIDContextKey, which `make bootstrap` sets after
	// asking). Trust policies match it rather than the name, which a rename
	// or a transfer can hand to someone else.
	RepositoryID string
}

// RepositoryIDContextKey overrides github.repositoryId; `make bootstrap`
// passes the id it inferred or asked for under this key.
const RepositoryIDContextKey = "githubRepositoryId"

// DeployWorkflow is the reusable workflow whose jobs alone may deploy.
const DeployWorkflow = ".github/workflows/deploy-env.yml"

// MainRef is the only ref deploys run from.
const MainRef = "refs/heads/main"

var (
	ownerPattern     = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	repoPattern      = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	qualifierPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,10}$`)
	repoIDPattern    = regexp.MustCompile(`^[1-9][0-9]{0,19}$`)
)

// LoadSettings decodes and validates the "github" context value, the
// bootstrap qualifier and the repository-id override (each a Go value from
// the CDK context, json.RawMessage, or nil when unset). Every problem is
// reported at once.
func LoadSettings(raw, qualifier, repositoryID any) (Settings, error) {
	data, ok := raw.(json.RawMessage)
	if !ok {
		if raw == nil {
			return Settings{}, fmt.Errorf("context %q is missing: add {\"owner\": ..., \"repo\": ...} to cdk.json", ContextKey)
		}
		var err error
		if data, err = json.Marshal(raw); err != nil {
			return Settings{}, fmt.Errorf("context %q: %w", ContextKey, err)
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return Settings{}, fmt.Errorf("context %q: want an object with owner and repo", ContextKey)
	}
	s := Settings{OIDCProvider: ProviderCreate, Qualifier: DefaultQualifier}
	targets := map[string]*string{"owner": &s.Owner, "repo": &s.Repo, "oidcProvider": &s.OIDCProvider, "repositoryId": &s.RepositoryID}
	var errs []error
	switch q := qualifier.(type) {
	case nil:
	case string:
		s.Qualifier = q
	case json.RawMessage:
		if err := json.Unmarshal(q, &s.Qualifier); err != nil {
			errs = append(errs, fmt.Errorf("%s: want a string", QualifierContextKey))
		}
	default:
		errs = append(errs, fmt.Errorf("%s: want a string, got %T", QualifierContextKey, qualifier))
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if config.IsComment(k) {
			continue
		}
		dst, known := targets[k]
		if !known {
			errs = append(errs, fmt.Errorf("%s.%s: unknown setting (known: oidcProvider, owner, repo, repositoryId)", ContextKey, k))
			continue
		}
		if err := json.Unmarshal(fields[k], dst); err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: want a string", ContextKey, k))
		}
	}
	switch id := repositoryID.(type) {
	case nil:
	case string:
		s.RepositoryID = id
	case float64: // -c values that look like numbers arrive as numbers
		s.RepositoryID = strconv.FormatFloat(id, 'f', -1, 64)
	default:
		errs = append(errs, fmt.Errorf("%s: want a string of digits, got %T", RepositoryIDContextKey, repositoryID))
	}
	if !ownerPattern.MatchString(s.Owner) {
		errs = append(errs, fmt.Errorf("%s.owner: %q is not a GitHub user or organisation name", ContextKey, s.Owner))
	}
	if !repoPattern.MatchString(s.Repo) || s.Repo == "." || s.Repo == ".." {
		errs = append(errs, fmt.Errorf("%s.repo: %q is not a GitHub repository name", ContextKey, s.Repo))
	}
	if s.OIDCProvider != ProviderCreate && s.OIDCProvider != ProviderExisting {
		errs = append(errs, fmt.Errorf("%s.oidcProvider: %q must be %q or %q", ContextKey, s.OIDCProvider, ProviderCreate, ProviderExisting))
	}
	if s.RepositoryID != "" {
		errs = append(errs, s.CheckRepositoryID())
	}
	if !qualifierPattern.MatchString(s.Qualifier) {
		errs = append(errs, fmt.Errorf("%s: %q must be 1-10 letters, digits, _ or -", QualifierContextKey, s.Qualifier))
	}
	if err := errors.Join(errs...); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// CheckRepositoryID says what is wrong with the repository id, if anything:
// the bootstrap app refuses to build trust policies without a valid one.
func (s Settings) CheckRepositoryID() error {
	if repoIDPattern.MatchString(s.RepositoryID) {
		return nil
	}
	return fmt.Errorf("%s.repositoryId: %q is not a repository id: it is the number `gh api repos/%s/%s --jq .id` prints; "+
		"set it in cdk.json, or let `make bootstrap` look it up or ask for it", ContextKey, s.RepositoryID, s.Owner, s.Repo)
}

// LoadCDKJSON reads the settings from the bytes of cdk.json, for programs
// that run outside the CDK CLI (make bootstrap's preflight).
func LoadCDKJSON(cdkJSON []byte) (Settings, error) {
	var file struct {
		Context map[string]json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(cdkJSON, &file); err != nil {
		return Settings{}, fmt.Errorf("cdk.json: %w", err)
	}
	var raw, qualifier any
	if v, ok := file.Context[ContextKey]; ok {
		raw = v
	}
	if v, ok := file.Context[QualifierContextKey]; ok {
		qualifier = v
	}
	return LoadSettings(raw, qualifier, nil)
}

// RepoSubject is the prefix of every OIDC sub claim of this repository's
// workflow runs.
func (s Settings) RepoSubject() string { return "repo:" + s.Owner + "/" + s.Repo }

// Claim is the STS condition key of one GitHub OIDC token claim.
func Claim(name string) string { return ProviderHost + ":" + name }

// JobWorkflowRef is the job_workflow_ref claim of deploy jobs: the reusable
// deploy workflow of this repository, as run from main.
func (s Settings) JobWorkflowRef() string {
	return s.Owner + "/" + s.Repo + "/" + DeployWorkflow + "@" + MainRef
}

// DeployTrust is the StringEquals block an environment's deploy role trusts:
// a token of this repository (by id), from main's deploy workflow, in the
// GitHub Environment of the same name, so that environment's protection
// rules (required reviewers, allowed branches) apply. Every claim is
// matched with StringEquals, which fails when the claim is absent
// (ForAllValues would match a token without it). A pull request's token
// (sub repo:<owner>/<repo>:pull_request, no environment, ref
// refs/pull/N/merge) matches none of it.
func (s Settings) DeployTrust(env config.Environment) map[string]any {
	return map[string]any{
		Claim("aud"):              Audience,
		Claim("sub"):              s.RepoSubject() + ":environment:" + env.Name,
		Claim("repository_id"):    s.RepositoryID,
		Claim("environment"):      env.Name,
		Claim("job_workflow_ref"): s.JobWorkflowRef(),
		Claim("ref"):              MainRef,
	}
}

// DiffTrust is the StringEquals block of the diff role: pull-request runs
// of this repository (by id), whatever their branch.
func (s Settings) DiffTrust() map[string]any {
	return map[string]any{
		Claim("aud"):           Audience,
		Claim("sub"):           s.DiffSubject(),
		Claim("repository_id"): s.RepositoryID,
	}
}

// DiffSubject is the sub of pull request runs, the only callers of the
// read-only diff role.
func (s Settings) DiffSubject() string { return s.RepoSubject() + ":pull_request" }
