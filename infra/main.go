// Command infra is the CDK app: it reads the chosen environment from
// cdk.json's context once, validates it (every problem at once), builds that
// environment's two stacks and synthesizes them. An environment without an
// account is refused; environments sharing an account draw a warning. Run it through the CDK CLI:
// `cdk synth -c env=dev` (or `make synth ENV=dev`).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/stacks"
	"github.com/s3presign/s3presign/signer/reporoot"
)

func main() {
	err := run()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3presign infra:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	name, _ := app.Node().TryGetContext(jsii.String(config.EnvContextKey)).(string)
	environments := app.Node().TryGetContext(jsii.String(config.ContextKey))
	env, err := config.Load(environments, name)
	if err == nil {
		err = config.CheckDeployable(env)
	}
	if err != nil {
		return fmt.Errorf("cdk.json settings:\n%w", err)
	}
	warnings, err := config.SharedAccounts(environments)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "s3presign infra: warning:", w)
	}
	root, err := reporoot.Find()
	if err != nil {
		return err
	}
	signerDir, err := reporoot.SignerDir(root)
	if err != nil {
		return err
	}
	stacks.Build(app, &env, signerDir)
	app.Synth(nil)
	return nil
}
