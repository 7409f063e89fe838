package bootstrap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/s3presign/s3presign/infra/config"
)

// PreflightDeps are the outside world Preflight asks; tests replace them.
type PreflightDeps struct {
	// CallerAccount returns the account of the caller's AWS credentials
	// (aws sts get-caller-identity).
	CallerAccount func() (string, error)
	// LookupRepositoryID asks GitHub for owner/repo's numeric id (gh api);
	// an error means it could not.
	LookupRepositoryID func(owner, repo string) (string, error)
	// Prompt is where the question goes; nil when there is no terminal.
	Prompt io.Writer
	// Answers is read for the answer.
	Answers io.Reader
}

// PreflightResult is what `make bootstrap` passes on to the CDK CLI.
type PreflightResult struct {
	// RepositoryID is the checked repository id.
	RepositoryID string
	// ExecutionPolicyArn is the policy `cdk bootstrap` gets.
	ExecutionPolicyArn string
}

// Preflight checks everything `make bootstrap` needs before it creates
// anything: the environment names an account (CheckDeployable), the
// caller's credentials belong to that very account, and the repository id
// is known: taken from cdk.json, else looked up with gh, else asked for
// (and checked against the settings' rules). Every problem is reported at
// once.
func Preflight(env config.Environment, s Settings, deps PreflightDeps) (PreflightResult, error) {
	var errs []error
	if err := config.CheckDeployable(env); err != nil {
		errs = append(errs, err)
	} else if account, err := deps.CallerAccount(); err != nil {
		errs = append(errs, fmt.Errorf("cannot tell which account your AWS credentials belong to: %w", err))
	} else if account != env.Account {
		errs = append(errs, fmt.Errorf("%s.account is %s, but your AWS credentials belong to account %s: "+
			"use credentials for %s's account (e.g. AWS_PROFILE=<%s-admin>), or fix cdk.json", env.Name, env.Account, account, env.Name, env.Name))
	}
	id := s.RepositoryID
	if id == "" {
		id = repositoryID(s, deps)
	}
	s.RepositoryID = id
	if err := s.CheckRepositoryID(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return PreflightResult{}, err
	}
	return PreflightResult{
		RepositoryID:       id,
		ExecutionPolicyArn: "arn:aws:iam::" + env.Account + ":policy/" + ExecutionPolicyName(env.Name),
	}, nil
}

// repositoryID looks the id up, or asks for it when a terminal is there.
func repositoryID(s Settings, deps PreflightDeps) string {
	if deps.LookupRepositoryID != nil {
		if id, err := deps.LookupRepositoryID(s.Owner, s.Repo); err == nil {
			id = strings.TrimSpace(id)
			if deps.Prompt != nil {
				fmt.Fprintf(deps.Prompt, "GitHub says %s/%s has repository id %s\n", s.Owner, s.Repo, id)
			}
			return id
		}
	}
	if deps.Prompt == nil || deps.Answers == nil {
		return ""
	}
	fmt.Fprintf(deps.Prompt, "Numeric id of the GitHub repository %s/%s (gh api repos/%s/%s --jq .id): ", s.Owner, s.Repo, s.Owner, s.Repo)
	line, _ := bufio.NewReader(deps.Answers).ReadString('\n')
	return strings.TrimSpace(line)
}
