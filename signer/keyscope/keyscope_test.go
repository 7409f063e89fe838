package keyscope

import (
	"strings"
	"testing"
)

func TestScopeAndCallerAreInverse(t *testing.T) {
	for _, caller := range []string{"alice", "a.b-c_d@e+f=g", strings.Repeat("x", MaxCallerBytes)} {
		scope, err := Scope("uploads/", caller)
		if err != nil {
			t.Fatalf("Scope(%q): %v", caller, err)
		}
		key := scope + "abcdefghijklmnopqrstuvwxyz/cat.png"
		got, err := Caller(key, "uploads/", true)
		if err != nil || got != caller {
			t.Fatalf("Caller(%q) = %q, %v; want %q", key, got, err, caller)
		}
	}
	// Mode none: no caller segment, the first segment is the id.
	if got, err := Caller("uploads/abc/cat.png", "uploads/", false); err != nil || got != "" {
		t.Fatalf("anonymous: %q, %v", got, err)
	}
	if scope, err := Scope("uploads/", ""); err != nil || scope != "uploads/" {
		t.Fatalf("anonymous scope: %q, %v", scope, err)
	}
}

func TestCallerRefusals(t *testing.T) {
	for name, key := range map[string]string{
		"outside the prefix":  "other/alice/x.png",
		"no segment after it": "uploads/alice",
		"empty tail":          "uploads/alice/",
		"bad caller":          "uploads/al ice/x.png",
		"dot-dot caller":      "uploads/../x.png",
	} {
		if got, err := Caller(key, "uploads/", true); err == nil {
			t.Errorf("%s: Caller(%q) = %q, want an error", name, key, got)
		}
	}
	if _, err := Caller("uploads/x.png", "", false); err == nil {
		t.Error("an empty prefix must be refused")
	}
}

func TestCheckCaller(t *testing.T) {
	for _, ok := range []string{"a", "alice", "A9._-@+=", "a.b"} {
		if err := CheckCaller(ok); err != nil {
			t.Errorf("CheckCaller(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "a..b", "a/b", "a b", "é", strings.Repeat("x", MaxCallerBytes+1)} {
		if err := CheckCaller(bad); err == nil {
			t.Errorf("CheckCaller(%q) = nil, want an error", bad)
		}
	}
}
