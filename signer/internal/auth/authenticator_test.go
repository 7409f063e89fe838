package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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
		{name: "none outside production", s: Settings{Mode: authconfig.ModeNone}, wantT: "*auth.None"},
		{name: "none in production", s: Settings{Mode: authconfig.ModeNone, Production: true}, wantErr: "refused"},
		{name: "apikey in production", s: Settings{Mode: authconfig.ModeAPIKey, Production: true, APIKeys: line}, wantT: "*auth.APIKeys"},
		{name: "apikey without keys", s: Settings{Mode: authconfig.ModeAPIKey, Production: true}, wantErr: "no API key entries"},
		{name: "oidc", s: Settings{Mode: authconfig.ModeOIDC, Production: true, OIDC: OIDCConfig{Issuer: "https://idp.example.com", Audiences: []string{"x"}}}, wantT: "*auth.OIDC"},
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
	n, err := NewNone(false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.Authenticate(httptest.NewRequest("GET", "/", nil))
	if err != nil || !c.Anonymous() || c.Prefix() != "" {
		t.Fatalf("Authenticate = %+v, %v; want the anonymous caller with no prefix", c, err)
	}
	if _, err := NewNone(true); err == nil {
		t.Fatal("NewNone(production) = nil error, want a refusal")
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

func TestErrorFitsTheAPIConventions(t *testing.T) {
	e := &Error{Kind: KindRateLimited, Message: "too many requests; retry later", Err: errors.New("bucket ip:203.0.113.9 empty")}
	var coder interface{ ErrorCode() string }
	var pm interface{ PublicMessage() string }
	wrapped := fmt.Errorf("handler: %w", e)
	if !errors.As(wrapped, &coder) || coder.ErrorCode() != "rate_limited" {
		t.Fatalf("ErrorCode not found through wrapping")
	}
	if !errors.As(wrapped, &pm) || pm.PublicMessage() != "too many requests; retry later" {
		t.Fatalf("PublicMessage not found through wrapping")
	}
	if strings.Contains(pm.PublicMessage(), "203.0.113.9") {
		t.Fatal("the public message carries the cause")
	}
	if KindOf(errors.New("plain")) != "" || MessageOf(errors.New("plain")) != "" {
		t.Fatal("a plain error has a kind or message")
	}
}

func TestSetHeaders(t *testing.T) {
	tests := []struct {
		err       error
		challenge string
		retry     string
	}{
		{(challenger{realm: "s3presign"}).missing("m"), `Bearer realm="s3presign"`, ""},
		{(challenger{realm: "x"}).invalid(`say "hi"`+"\n", nil), `Bearer realm="x", error="invalid_token", error_description="say _hi__"`, ""},
		{&Error{Kind: KindRateLimited, RetryAfter: 1500 * time.Millisecond}, "", "2"},
		{&Error{Kind: KindUnavailable, RetryAfter: time.Millisecond}, "", "1"},
		{&Error{Kind: KindForbidden}, "", ""},
		{errors.New("plain"), "", ""},
	}
	for _, tt := range tests {
		h := http.Header{}
		SetHeaders(h, tt.err)
		if h.Get("WWW-Authenticate") != tt.challenge || h.Get("Retry-After") != tt.retry {
			t.Errorf("SetHeaders(%v): WWW-Authenticate %q, Retry-After %q; want %q, %q", tt.err, h.Get("WWW-Authenticate"), h.Get("Retry-After"), tt.challenge, tt.retry)
		}
	}
}

func TestCallerName(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if CallerName(r) != "" {
		t.Fatal("CallerName without a caller is not empty")
	}
	r = r.WithContext(WithCaller(r.Context(), Caller{Name: "bob"}))
	if CallerName(r) != "bob" {
		t.Fatalf("CallerName = %q, want bob", CallerName(r))
	}
}
