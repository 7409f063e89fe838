// Command signer is the s3presign service: it hands browsers short-lived
// presigned S3 URLs to upload and read objects, so the bytes never pass
// through it. See run.go for the subcommands and signer/README.md for the API and settings.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "signer: %v\n", err)
		stop()
		os.Exit(1)
	}
}
