package stack_test

import (
	"slices"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/devtools/local/stack"
)

func TestRebaseMovesOnlyThePageOrigin(t *testing.T) {
	env := config.Defaults("dev")
	env.AllowedOrigins = []string{"http://127.0.0.1:8081", "http://localhost:8081", "http://127.0.0.1:80811", "https://app.example.com"}
	env.AllowedReferers = []string{"http://127.0.0.1:8081/*", "http://localhost:8081/app/*", "http://127.0.0.1:8081*", "http://127.0.0.1:9090/*", "https://app.example.com/*"}

	got := stack.Rebase(env, 8081, 43117)
	wantOrigins := []string{"http://127.0.0.1:43117", "http://localhost:43117", "http://127.0.0.1:80811", "https://app.example.com"}
	wantReferers := []string{"http://127.0.0.1:43117/*", "http://localhost:43117/app/*", "http://127.0.0.1:43117*", "http://127.0.0.1:9090/*", "https://app.example.com/*"}
	if !slices.Equal(got.AllowedOrigins, wantOrigins) {
		t.Errorf("origins\n got %v\nwant %v", got.AllowedOrigins, wantOrigins)
	}
	if !slices.Equal(got.AllowedReferers, wantReferers) {
		t.Errorf("referers\n got %v\nwant %v", got.AllowedReferers, wantReferers)
	}
	if env.AllowedOrigins[0] != "http://127.0.0.1:8081" {
		t.Errorf("Rebase changed its input: %v", env.AllowedOrigins)
	}
	if same := stack.Rebase(env, 8081, 8081); !slices.Equal(same.AllowedReferers, env.AllowedReferers) {
		t.Errorf("control: same port changed referers to %v", same.AllowedReferers)
	}
}

func TestPageOriginIsTheFirstLoopbackOrigin(t *testing.T) {
	tests := []struct {
		name    string
		origins []string
		want    string // "" means an error
	}{
		{"dev settings", []string{"http://127.0.0.1:8081", "http://localhost:8081"}, "http://127.0.0.1:8081"},
		{"loopback not first", []string{"https://app.example.com", "http://127.0.0.1:5173"}, "http://127.0.0.1:5173"},
		{"localhost only", []string{"http://localhost:8081"}, ""},
		{"no port", []string{"http://127.0.0.1"}, ""},
		{"https", []string{"https://127.0.0.1:8443"}, ""},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := config.Defaults("dev")
			env.AllowedOrigins = tt.origins
			u, err := stack.PageOrigin(env)
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("got %s, want an error", u)
			case tt.want != "" && err != nil:
				t.Errorf("got error %v, want %s", err, tt.want)
			case tt.want != "" && u.String() != tt.want:
				t.Errorf("got %s, want %s", u, tt.want)
			}
		})
	}
}
