package auth

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

func TestNewByMode(t *testing.T) {
	_, line, _ := NewAPIKey("alice", strings.NewReader(strings.Repeat("k", 32)))
	tests := []struct {
		name    string
		s       Settings
		wantT   string
		wantErr string
	}{
		{name: "none in dev", s: Settings{Mode: authconfig.ModeNone, Environment: "dev"}, wantT: "*auth.None"},
		{name: "none in prod", s: Settings{Mode: authconfig.ModeNone, Environment: "prod"}, wantErr: "refused"},
		{name: "apikey in prod", s: Settings{Mode: authconfig.ModeAPIKey, Environment: "prod", APIKeys: line}, wantT: "*auth.APIKeys"},
		{name: "apikey without keys", s: Settings{Mode: authconfig.ModeAPIKey, Environment: "prod"}, wantErr: "no API key entries"},
		{name: "oidc", s: Settings{Mode: authconfig.ModeOIDC, Environment: "prod", OIDC: OIDCConfig{Issuer: "https://idp.example.com", Audiences: []string{"x"}}}, wantT: "*auth.OIDC"},
		{name: "oidc without audience", s: Settings{Mode: authconfig.ModeOIDC, OIDC: OIDCConfig{Issuer: "https://idp.example.com"}}, wantErr: "audience"},
		{name: "unset mode", s: Settings{}, wantErr: "unknown authentication mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New = %T, %v; want error containing %q", a, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := typeName(a); got != tt.wantT {
				t.Fatalf("New returned %s, want %s", got, tt.wantT)
			}
		})
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *None:
		return "*auth.None"
	case *APIKeys:
		return "*auth.APIKeys"
	case *OIDC:
		return "*auth.OIDC"
	}
	return "?"
}

func TestNoneIsAnonymous(t *testing.T) {
	n, err := NewNone("staging")
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.Authenticate(httptest.NewRequest("GET", "/", nil))
	if err != nil || !c.Anonymous() || c.Prefix() != "" {
		t.Fatalf("Authenticate = %+v, %v; want the anonymous caller with no prefix", c, err)
	}
	if _, err := NewNone("prod"); err == nil {
		t.Fatal("NewNone(prod) = nil error, want a refusal")
	}
}

func TestCallerContext(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Fatal("FromContext found a caller in an empty context")
	}
	ctx := WithCaller(context.Background(), Caller{Name: "alice"})
	c, ok := FromContext(ctx)
	if !ok || c.Name != "alice" || c.Prefix() != "alice/" || c.Anonymous() {
		t.Fatalf("FromContext = %+v, %v", c, ok)
	}
}
