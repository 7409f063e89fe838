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
}

var (
	ownerPattern     = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	repoPattern      = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	qualifierPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,10}$`)
)

// LoadSettings decodes and validates the "github" context value and the
// bootstrap qualifier (each a Go value from the CDK context, json.RawMessage,
// or nil when unset). Every problem is reported at once.
func LoadSettings(raw, qualifier any) (Settings, error) {
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
	targets := map[string]*string{"owner": &s.Owner, "repo": &s.Repo, "oidcProvider": &s.OIDCProvider}
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
			errs = append(errs, fmt.Errorf("%s.%s: unknown setting (known: oidcProvider, owner, repo)", ContextKey, k))
			continue
		}
		if err := json.Unmarshal(fields[k], dst); err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: want a string", ContextKey, k))
		}
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
	if !qualifierPattern.MatchString(s.Qualifier) {
		errs = append(errs, fmt.Errorf("%s: %q must be 1-10 letters, digits, _ or -", QualifierContextKey, s.Qualifier))
	}
	if err := errors.Join(errs...); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// RepoSubject is the prefix of every OIDC sub claim of this repository's
// workflow runs.
func (s Settings) RepoSubject() string { return "repo:" + s.Owner + "/" + s.Repo }

// DeploySubject returns the IAM condition operator and sub value that
// decide who may assume an environment's deploy role: only jobs running in
// the GitHub Environment of the same name (deploy-env.yml's job), so that
// environment's protection rules (required reviewers, allowed branches)
// apply, and a pull request's workflow, whose sub is
// repo:<owner>/<repo>:pull_request, can never deploy, not even to dev.
func (s Settings) DeploySubject(env config.Environment) (operator, sub string) {
	return "StringEquals", s.RepoSubject() + ":environment:" + env.Name
}

// DiffSubject is the sub of pull request runs, the only callers of the
// read-only diff role.
func (s Settings) DiffSubject() string { return s.RepoSubject() + ":pull_request" }
