package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/s3presign/s3presign/infra/devtools/changeguard"
)

// errBlocked is returned when a stateful resource would be replaced or
// removed and that was not allowed.
var errBlocked = errors.New("a stateful resource would be replaced or removed")

// errUsage wraps command-line mistakes.
var errUsage = errors.New("usage")

func run(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("changeguard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseline := fs.String("baseline", "", "baseline templates: a cloud assembly, a folder of *.template.json, or one template")
	template := fs.String("template", "", "candidate templates (usually cdk.out), same forms as -baseline")
	format := fs.String("format", "text", "output format: text or markdown")
	title := fs.String("title", "", "what is compared, shown in the headline (e.g. the environment)")
	allow := fs.Bool("allow-stateful", false, "report stateful replacements and removals but exit 0 (the PR carries the allow label)")
	allowedBy := fs.String("allowed-by", "label allow-stateful-change", "how -allow-stateful was granted, shown in the report")
	listStacks := fs.String("list-stacks", "", "print \"<artifact-id> <stack-name> <account> <region>\" for each stack of this cloud assembly (\"-\" when environment-agnostic) and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: changeguard -baseline PATH -template PATH [-format text|markdown] [-title T] [-allow-stateful]")
		fmt.Fprintln(stderr, "       changeguard -list-stacks CLOUD_ASSEMBLY")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}

	if *listStacks != "" {
		stacks, err := changeguard.ListStacks(*listStacks)
		if err != nil {
			return err
		}
		for _, s := range stacks {
			if _, err := fmt.Fprintf(stdout, "%s %s %s %s\n", s.ID, s.StackName, orDash(s.Account), orDash(s.Region)); err != nil {
				return err
			}
		}
		return nil
	}

	var problems []error
	if *baseline == "" {
		problems = append(problems, errors.New("-baseline is required"))
	}
	if *template == "" {
		problems = append(problems, errors.New("-template is required"))
	}
	if *format != "text" && *format != "markdown" {
		problems = append(problems, fmt.Errorf("-format must be text or markdown, not %q", *format))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %w", errUsage, errors.Join(problems...))
	}

	base, err := changeguard.Load(*baseline)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	cand, err := changeguard.Load(*template)
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	report := changeguard.Compare(base, cand)
	opts := changeguard.RenderOptions{Title: *title, Allowed: *allow, AllowedBy: *allowedBy}
	if *format == "markdown" {
		err = report.WriteMarkdown(stdout, opts)
	} else {
		err = report.WriteText(stdout, opts)
	}
	if err != nil {
		return err
	}
	if len(report.Blocking()) > 0 && !*allow {
		return errBlocked
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
