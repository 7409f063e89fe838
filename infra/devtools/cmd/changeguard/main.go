// Command changeguard compares freshly synthesized CloudFormation templates
// with a baseline and fails when a stateful resource (an S3 bucket, a KMS key,
// a Secrets Manager secret) would be replaced or removed.
//
//	changeguard -baseline infra/testdata/dev -template cdk.out [-format markdown] [-title dev] [-allow-stateful]
//	changeguard -list-stacks cdk.out
//
// -baseline and -template each take a cloud assembly (a folder with
// manifest.json, such as cdk.out), a folder of *.template.json files, or one
// template file. Stacks are matched by artifact ID (file name without
// ".template.json").
//
// Exit status: 0 when nothing stateful is replaced or removed (or
// -allow-stateful is set), 1 when something is, 2 on bad usage or unreadable
// input.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode maps run's error to the documented exit status.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errBlocked):
		return 1
	default:
		fmt.Fprintln(stderr, "changeguard:", err)
		return 2
	}
}
