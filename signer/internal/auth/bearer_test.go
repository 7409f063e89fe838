package auth

import (
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

func TestParseBearer(t *testing.T) {
	ch := challenger{realm: DefaultRealm}
	tests := []struct {
		name   string
		values []string
		want   string // "" = refused
	}{
		{"jwt", []string{"Bearer aaa.bbb.ccc"}, "aaa.bbb.ccc"},
		{"any case scheme", []string{"bEaReR tok"}, "tok"},
		{"b64token characters and padding", []string{"Bearer a-._~+/Z9=="}, "a-._~+/Z9=="},
		{"extra spaces before the token", []string{"Bearer    tok"}, "tok"},
		{"surrounding spaces", []string{"  Bearer tok  "}, "tok"},
		{"no header", nil, ""},
		{"empty header", []string{""}, ""},
		{"scheme only", []string{"Bearer"}, ""},
		{"scheme and space", []string{"Bearer "}, ""},
		{"Basic", []string{"Basic dXNlcjpwYXNz"}, ""},
		{"no space", []string{"Bearertok"}, ""},
		{"tab separator", []string{"Bearer\ttok"}, ""},
		{"two tokens", []string{"Bearer a b"}, ""},
		{"two headers", []string{"Bearer a", "Bearer b"}, ""},
		{"padding in the middle", []string{"Bearer a=b"}, ""},
		{"only padding", []string{"Bearer =="}, ""},
		{"comma", []string{"Bearer a,b"}, ""},
		{"non-ASCII", []string{"Bearer tøk"}, ""},
		{"NUL", []string{"Bearer a\x00"}, ""},
		{"too long", []string{"Bearer " + strings.Repeat("a", MaxTokenLen+1)}, ""},
		{"longest allowed", []string{"Bearer " + strings.Repeat("a", MaxTokenLen)}, strings.Repeat("a", MaxTokenLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBearer(tt.values, ch)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("parseBearer(%q) = %q, %v; want %q", tt.values, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseBearer(%q) = %q, want a refusal", tt.values, got)
			}
			if apierr.CodeOf(err) != apierr.Unauthorized {
				t.Fatalf("parseBearer(%q) error %v is not unauthorized", tt.values, err)
			}
		})
	}
}
