// Command bootstrap is a small CDK app, separate from the main one, that
// creates what GitHub Actions needs to deploy s3presign without stored AWS
// keys, and what keeps CloudFormation itself least-privilege: the execution
// policy and permissions boundary, the GitHub OIDC provider and the chosen
// environment's deploy and diff roles (see package infra/bootstrap). Run it
// through `make bootstrap ENV=…` with administrator credentials for the
// environment's account; that runs, in order:
//
//	go run ./infra/cmd/bootstrap preflight ENV   # checks; asks for the repository id
//	cdk --app "go run ./infra/cmd/bootstrap" deploy s3presign-ENV-cfn-exec
//	cdk bootstrap --cloudformation-execution-policies <that policy>
//	cdk --app "go run ./infra/cmd/bootstrap" deploy --all
//
// It reads cdk.json's context: "env", "environments" (validated by
// infra/config, for the name, account and region), "github" (owner, repo,
// oidcProvider, repositoryId), "githubRepositoryId" (set by make bootstrap)
// and the standard "@aws-cdk/core:bootstrapQualifier" (optional).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/bootstrap"
	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/signer/reporoot"
)

func main() {
	var err error
	if len(os.Args) == 3 && os.Args[1] == "preflight" {
		err = preflight(os.Args[2], os.Stdout)
	} else {
		err = run()
		jsii.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3presign bootstrap:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	ctx := func(key string) any { return app.Node().TryGetContext(jsii.String(key)) }
	name, _ := ctx(config.EnvContextKey).(string)
	env, envErr := config.Load(ctx(config.ContextKey), name)
	if envErr == nil {
		envErr = config.CheckDeployable(env)
	}
	settings, ghErr := bootstrap.LoadSettings(ctx(bootstrap.ContextKey), ctx(bootstrap.QualifierContextKey), ctx(bootstrap.RepositoryIDContextKey))
	if ghErr == nil {
		ghErr = settings.CheckRepositoryID()
	}
	if err := errors.Join(envErr, ghErr); err != nil {
		return fmt.Errorf("cdk.json settings:\n%w", err)
	}
	bootstrap.Build(app, &env, &settings)
	app.Synth(nil)
	return nil
}

// preflight prints "<repository id> <execution policy ARN>" for the
// Makefile, after every check passed; questions go to the terminal.
func preflight(name string, stdout io.Writer) error {
	root, err := reporoot.Find()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return err
	}
	env, envErr := config.LoadCDKJSON(data, name)
	settings, ghErr := bootstrap.LoadCDKJSON(data)
	if err := errors.Join(envErr, ghErr); err != nil {
		return fmt.Errorf("cdk.json settings:\n%w", err)
	}
	deps := bootstrap.PreflightDeps{
		CallerAccount: func() (string, error) {
			return output("aws", "sts", "get-caller-identity", "--query", "Account", "--output", "text")
		},
		LookupRepositoryID: func(owner, repo string) (string, error) {
			return output("gh", "api", "repos/"+owner+"/"+repo, "--jq", ".id")
		},
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		defer tty.Close()
		deps.Prompt, deps.Answers = tty, tty
	}
	res, err := bootstrap.Preflight(env, settings, deps)
	if err != nil {
		return fmt.Errorf("make bootstrap ENV=%s stopped before creating anything:\n%w", name, err)
	}
	_, err = fmt.Fprintln(stdout, res.RepositoryID, res.ExecutionPolicyArn)
	return err
}

func output(name string, args ...string) (string, error) {
	if _, err := exec.LookPath(name); err != nil {
		return "", err
	}
	out, err := exec.Command(name, args...).Output()
	return strings.TrimSpace(string(out)), err
}
