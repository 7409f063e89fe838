package authconfig

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseAlgorithms(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "", want: []string{"RS256", "ES256"}},
		{in: "RS256", want: []string{"RS256"}},
		{in: "es256, ps512 ,RS256,ES256", want: []string{"ES256", "PS512", "RS256"}},
		{in: "none", wantErr: "unsigned"},
		{in: "RS256,None", wantErr: "unsigned"},
		{in: "HS256", wantErr: "HMAC"},
		{in: "RS256,hs512", wantErr: "HMAC"},
		{in: "EdDSA", wantErr: "not supported"},
		{in: "RS256,,ES256", wantErr: "empty"},
	}
	for _, tt := range tests {
		got, err := ParseAlgorithms(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseAlgorithms(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseAlgorithms(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestDefaultAlgorithmsNotAliased(t *testing.T) {
	got, _ := ParseAlgorithms("")
	got[0] = "HS256"
	if DefaultAlgorithms[0] != "RS256" {
		t.Fatalf("ParseAlgorithms returned DefaultAlgorithms itself; a caller changed it to %v", DefaultAlgorithms)
	}
}

func TestCheckAlgorithms(t *testing.T) {
	if err := CheckAlgorithms([]string{"RS256", "ES256"}); err != nil {
		t.Errorf("CheckAlgorithms(RS256, ES256) = %v, want nil", err)
	}
	if err := CheckAlgorithms(nil); err == nil {
		t.Error("CheckAlgorithms(nil) = nil, want an error")
	}
	if err := CheckAlgorithms([]string{"RS256", "HS256"}); err == nil {
		t.Error("CheckAlgorithms(RS256, HS256) = nil, want an error")
	}
}
