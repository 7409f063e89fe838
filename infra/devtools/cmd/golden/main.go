// Command golden writes a copy of a cloud assembly whose templates are
// normalised as the golden templates in infra/testdata are (package
// infra/internal/golden), so that `make diff` compares like with like and a
// change to the signer alone shows no difference.
//
//	go run ./infra/devtools/cmd/golden -assembly cdk.out -out .artifacts/diff/cdk.out
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/s3presign/s3presign/infra/internal/golden"
)

func main() {
	assembly := flag.String("assembly", "cdk.out", "cloud assembly to copy")
	out := flag.String("out", "", "folder to write the normalised copy to (replaced)")
	flag.Parse()
	if err := run(*assembly, *out); err != nil {
		fmt.Fprintln(os.Stderr, "golden:", err)
		os.Exit(1)
	}
}

func run(assembly, out string) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	return golden.NormalizeAssembly(assembly, out)
}
