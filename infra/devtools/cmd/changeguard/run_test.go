package main

import (
	"context"
	"strings"
	"testing"
)

const fixtures = "../../changeguard/testdata/"

func TestRun(t *testing.T) {
	getenv := func(string) string { return "" }
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{
			name:     "only the service changed: exit 0",
			args:     []string{"-baseline", fixtures + "baseline", "-template", fixtures + "service-only"},
			wantCode: 0,
			wantOut:  []string{"no stateful resource would be replaced or removed"},
		},
		{
			name:     "bucket replaced: exit 1",
			args:     []string{"-baseline", fixtures + "baseline", "-template", fixtures + "bucket-name-set"},
			wantCode: 1,
			wantOut:  []string{"BLOCK replace"},
		},
		{
			name:     "bucket replaced, allowed: exit 0 and the report says so",
			args:     []string{"-baseline", fixtures + "baseline", "-template", fixtures + "bucket-name-set", "-allow-stateful", "-format", "markdown", "-title", "dev"},
			wantCode: 0,
			wantOut:  []string{"⚠️ changeguard · dev", "allowed by label allow-stateful-change"},
		},
		{
			name:     "log bucket removed, markdown: exit 1",
			args:     []string{"-baseline", fixtures + "baseline", "-template", fixtures + "log-bucket-removed", "-format", "markdown"},
			wantCode: 1,
			wantOut:  []string{"| 🛑 | **remove** | `s3presign-dev-storage/LogBucketCC3B17E8`"},
		},
		{
			// Stacks match by artifact ID: the assembly calls the service
			// stack "Service", so the baseline's service stack reads as
			// removed and "Service" as added; storage matches and is equal.
			name:     "a cloud assembly against a folder, matched by artifact ID",
			args:     []string{"-baseline", fixtures + "baseline", "-template", fixtures + "assembly"},
			wantCode: 0,
			wantOut:  []string{"remove       s3presign-dev-service/ClusterEB0386A7", "Also: 5 added."},
		},
		{
			name:     "list stacks",
			args:     []string{"-list-stacks", fixtures + "assembly"},
			wantCode: 0,
			wantOut:  []string{"Service s3presign-dev-service 111111111111 eu-west-1\ns3presign-dev-storage s3presign-dev-storage - -\n"},
		},
		{
			name:     "every usage problem is reported at once",
			args:     []string{"-format", "html"},
			wantCode: 2,
			wantErr:  "-baseline is required\n-template is required\n-format must be text or markdown",
		},
		{
			name:     "missing baseline path",
			args:     []string{"-baseline", fixtures + "nope", "-template", fixtures + "baseline"},
			wantCode: 2,
			wantErr:  "baseline:",
		},
		{
			name:     "stray argument",
			args:     []string{"-baseline", "a", "-template", "b", "extra"},
			wantCode: 2,
			wantErr:  "unexpected arguments",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			err := run(context.Background(), append([]string{"changeguard"}, tt.args...), getenv, &stdout, &stderr)
			code := exitCode(err, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (err %v, stderr %q)", code, tt.wantCode, err, stderr.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			if tt.wantErr != "" && !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, stderr.String())
			}
		})
	}
}
