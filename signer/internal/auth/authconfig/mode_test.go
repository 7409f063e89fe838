package authconfig

import (
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr string
	}{
		{in: "none", want: ModeNone},
		{in: "apikey", want: ModeAPIKey},
		{in: " OIDC ", want: ModeOIDC},
		{in: "", wantErr: "not set"},
		{in: "  ", wantErr: "not set"},
		{in: "basic", wantErr: "unknown authentication mode"},
		{in: "api-key", wantErr: "unknown authentication mode"},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseMode(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestCheckModeRefusesNoneInProd(t *testing.T) {
	tests := []struct {
		mode    Mode
		env     string
		refused bool
	}{
		{ModeNone, "prod", true},
		{ModeNone, " PROD ", true},
		{ModeNone, "Production", true},
		{ModeNone, "dev", false}, // control: none is fine outside prod
		{ModeNone, "staging", false},
		{ModeAPIKey, "prod", false}, // control: authenticated modes are fine in prod
		{ModeOIDC, "prod", false},
	}
	for _, tt := range tests {
		err := CheckMode(tt.mode, tt.env)
		if (err != nil) != tt.refused {
			t.Errorf("CheckMode(%q, %q) = %v, want refused=%v", tt.mode, tt.env, err, tt.refused)
		}
		if err != nil && !strings.Contains(err.Error(), "refused") {
			t.Errorf("CheckMode(%q, %q) error %q does not say it is refused", tt.mode, tt.env, err)
		}
	}
}
