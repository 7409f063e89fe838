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

func TestCheckModeRefusesNoneInProduction(t *testing.T) {
	tests := []struct {
		mode       Mode
		production bool
		refused    bool
	}{
		{ModeNone, true, true},
		{ModeNone, false, false},  // control: none is fine outside production (the local stack)
		{ModeAPIKey, true, false}, // control: authenticated modes are fine in production
		{ModeOIDC, true, false},
	}
	for _, tt := range tests {
		err := CheckMode(tt.mode, tt.production)
		if (err != nil) != tt.refused {
			t.Errorf("CheckMode(%q, %v) = %v, want refused=%v", tt.mode, tt.production, err, tt.refused)
		}
		if err != nil && !strings.Contains(err.Error(), "refused in production") {
			t.Errorf("CheckMode(%q, %v) error %q does not say it is refused in production", tt.mode, tt.production, err)
		}
	}
}
