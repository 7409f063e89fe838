// Command infra is the CDK app: it reads the chosen environment from
// cdk.json's context once, validates it (every problem at once), builds that
// environment's two stacks and synthesizes them. Run it through the CDK CLI:
// `cdk synth -c env=dev` (or `make synth ENV=dev`).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/internal/repo"
	"github.com/s3presign/s3presign/infra/stacks"
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
	env, err := config.Load(app.Node().TryGetContext(jsii.String(config.ContextKey)), name)
	if err != nil {
		return fmt.Errorf("cdk.json settings:\n%w", err)
	}
	root, err := repo.Root()
	if err != nil {
		return err
	}
	signerDir, err := repo.SignerDir(root)
	if err != nil {
		return err
	}
	stacks.Build(app, &env, signerDir)
	app.Synth(nil)
	return nil
}
