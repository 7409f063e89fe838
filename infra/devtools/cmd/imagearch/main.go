// Command imagearch prints the architecture (amd64 or arm64) an
// environment's signer image is built for, from cdk.json's cpuArchitecture,
// validated like the CDK app validates it. `make image` and `make deploy`
// pass it to signer/image.sh, so the binary in the image, the image's
// platform and the task definition's runtimePlatform always agree.
//
//	go run ./infra/devtools/cmd/imagearch -env prod
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/signer/reporoot"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "imagearch:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("imagearch", flag.ContinueOnError)
	name := fs.String("env", "dev", "environment in cdk.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := reporoot.Find()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return err
	}
	env, err := config.LoadCDKJSON(b, *name)
	if err != nil {
		return fmt.Errorf("cdk.json settings:\n%w", err)
	}
	_, err = fmt.Fprintln(stdout, env.GOARCH())
	return err
}
