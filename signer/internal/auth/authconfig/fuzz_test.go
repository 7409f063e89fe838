package authconfig

import (
	"strings"
	"testing"
)

// FuzzParseKeyLines checks that any secret text either parses into valid,
// unique entries or is refused with an error, without panicking.
func FuzzParseKeyLines(f *testing.F) {
	f.Add("alice:" + hashOf("a"))
	f.Add("alice:" + hashOf("a") + ":1.5:3\nbob:" + hashOf("b"))
	f.Add("# c\r\n,,alice:" + hashOf("a") + ":1e400")
	f.Add("alice:::")
	f.Fuzz(func(t *testing.T, s string) {
		lines, err := ParseKeyLines(s)
		if err != nil {
			if lines != nil {
				t.Fatalf("got lines %v with error %v", lines, err)
			}
			return
		}
		if len(lines) == 0 {
			t.Fatal("no lines and no error")
		}
		seen := map[[32]byte]bool{}
		for _, k := range lines {
			if err := ValidName(k.Name); err != nil {
				t.Fatalf("accepted invalid name %q: %v", k.Name, err)
			}
			if seen[k.Hash] {
				t.Fatalf("accepted duplicate hash")
			}
			seen[k.Hash] = true
			if k.Limit.PerSecond != 0 {
				if err := k.Limit.Or(Limit{Burst: 1}).Validate(); err != nil {
					t.Fatalf("accepted bad limit %+v: %v", k.Limit, err)
				}
			}
			again, err := ParseKeyLines(k.String())
			if err != nil || again[0] != k {
				t.Fatalf("String() %q does not round-trip: %v", k.String(), err)
			}
			if strings.ContainsAny(k.Name, "/\\\x00") {
				t.Fatalf("name %q has a path separator or NUL", k.Name)
			}
		}
	})
}

// FuzzValidName checks the caller-name grammar never admits a name that would
// be unsafe as a key segment.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"alice", "..", ".", "a/b", "a@b.c", "", "x\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidName(s) != nil {
			return
		}
		if s == "" || len(s) > MaxNameLen || s == "." || s == ".." ||
			strings.ContainsAny(s, "/\\ \t\r\n\x00") || s[0] == '.' || s[0] == '-' ||
			strings.Contains(s, "..") {
			t.Fatalf("ValidName accepted %q", s)
		}
	})
}
