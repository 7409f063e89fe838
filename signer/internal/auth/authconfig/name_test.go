package authconfig

import (
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"alice", true},
		{"svc.upload-1", true},
		{"alice@example.com", true},
		{"A_1", true},
		{"0", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{".", false},
		{"..", false},
		{".hidden", false},
		{"-flag", false},
		{"a/b", false},
		{"a\\b", false},
		{"a b", false},
		{"auth0|123", false},
		{"a\x00", false},
		{"a\n", false},
		{"ä", false},
		{"a..b", false}, // the key grammar refuses ".." anywhere
		{"a.b", true},
		{"a.", true},
	}
	for _, tt := range tests {
		err := ValidName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
