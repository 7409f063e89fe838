package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAWS is a stand-in for the aws CLI: it logs its arguments and answers
// the three calls fetch-deployed.sh makes. FAKE_MODE picks the scenario.
const fakeAWS = `#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
case "$1 $2" in
  "sts get-caller-identity")
    [ "$FAKE_MODE" = nocreds ] && { echo "Unable to locate credentials" >&2; exit 255; }
    echo 222222222222 ;;
  "configure get") echo "" ;;
  "cloudformation get-template")
    case "$*" in
      *s3presign-dev-service*) echo "An error occurred (ValidationError): Stack with id s3presign-dev-service does not exist" >&2; exit 254 ;;
      *) echo "{\"Resources\":{\"B\":{\"Type\":\"AWS::S3::Bucket\"}},\"Key\":\"${AWS_ACCESS_KEY_ID:-own}\"}" ;;
    esac ;;
  *) echo "unexpected: $*" >&2; exit 99 ;;
esac
`

func TestFetchDeployed(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	stacks := "s3presign-dev-storage s3presign-dev-storage - -\nService s3presign-dev-service 222222222222 eu-west-1\n"
	tests := []struct {
		name     string
		mode     string
		stacks   string
		wantCode int
		// wantFiles maps a file under OUTDIR to a substring it must hold.
		wantFiles map[string]string
		wantLog   []string
		wantErr   string
	}{
		{
			name:      "reads with the caller's own credentials, assumes no role; a stack not deployed yet is skipped",
			mode:      "ok",
			wantFiles: map[string]string{"s3presign-dev-storage.template.json": `"Key":"own"`},
			wantLog: []string{
				"cloudformation get-template --region eu-central-1 --stack-name s3presign-dev-storage --template-stage Original",
				"cloudformation get-template --region eu-west-1 --stack-name s3presign-dev-service --template-stage Original",
			},
			wantErr: "s3presign-dev-service is not deployed in 222222222222/eu-west-1 yet",
		},
		{
			name:     "refuses a stack of another account than the credentials'",
			mode:     "ok",
			stacks:   "Service s3presign-dev-service 111111111111 eu-west-1\n",
			wantCode: 2,
			wantErr:  "s3presign-dev-service lives in account 111111111111, but the credentials are for 222222222222",
		},
		{
			name:     "fails clearly without credentials",
			mode:     "nocreds",
			wantCode: 2,
			wantErr:  "no usable AWS credentials",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin, out := t.TempDir(), t.TempDir()
			if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fakeAWS), 0o755); err != nil {
				t.Fatal(err)
			}
			logFile := filepath.Join(t.TempDir(), "aws.log")
			cmd := exec.Command("bash", "fetch-deployed.sh", out)
			in := stacks
			if tt.stacks != "" {
				in = tt.stacks
			}
			cmd.Stdin = strings.NewReader(in)
			cmd.Env = []string{
				"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
				"FAKE_LOG=" + logFile, "FAKE_MODE=" + tt.mode, "AWS_REGION=eu-central-1",
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, stderr.String())
			}
			for f, want := range tt.wantFiles {
				data, err := os.ReadFile(filepath.Join(out, f))
				if err != nil || !strings.Contains(string(data), want) {
					t.Errorf("%s = %q (%v), want it to hold %q", f, data, err, want)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "Service.template.json")); err == nil {
				t.Error("Service.template.json exists for a stack that is not deployed")
			}
			logData, _ := os.ReadFile(logFile)
			if strings.Contains(string(logData), "assume-role") {
				t.Errorf("fetch-deployed assumed a role:\n%s", logData)
			}
			for _, want := range tt.wantLog {
				if !strings.Contains(string(logData), want) {
					t.Errorf("aws calls lack %q:\n%s", want, logData)
				}
			}
		})
	}
}
