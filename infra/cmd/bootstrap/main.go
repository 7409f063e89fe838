// Command bootstrap is a small CDK app, separate from the main one, that
// creates what GitHub Actions needs to deploy s3presign without stored AWS
// keys: the GitHub OIDC provider and the chosen environment's deploy and diff
// roles (see package infra/bootstrap). Run it through the CDK CLI after
// `cdk bootstrap`, with administrator credentials for the environment's
// account:
//
//	make bootstrap ENV=prod
//	# which runs: cdk bootstrap -c env=prod
//	#             cdk --app "go run ./infra/cmd/bootstrap" deploy --all -c env=prod
//
// It reads cdk.json's context: "env", "environments" (validated by
// infra/config, for the name, account and region), "github" (owner, repo,
// oidcProvider) and the standard "@aws-cdk/core:bootstrapQualifier" (optional).
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/bootstrap"
	"github.com/s3presign/s3presign/infra/config"
)

func main() {
	err := run()
	jsii.Close()
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
	settings, ghErr := bootstrap.LoadSettings(ctx(bootstrap.ContextKey), ctx(bootstrap.QualifierContextKey))
	if err := errors.Join(envErr, ghErr); err != nil {
		return fmt.Errorf("cdk.json settings:\n%w", err)
	}
	bootstrap.Build(app, &env, &settings)
	app.Synth(nil)
	return nil
}
