package objectkey

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzKeys checks the key grammar's invariants for any file name and
// extension: a key is built only from names CheckName accepts; every built
// key is Valid under the prefix, at most MaxKeyBytes, valid UTF-8, free of
// ".." and of control and format characters; and Valid never panics.
func FuzzKeys(f *testing.F) {
	for _, s := range []string{"a.png", "../../etc/passwd", "%2e%2e%2f", "a\x00b", "evil\u202egnp.exe", "Grüße 写真", " ", "..", ".", "a/b", `a\b`, strings.Repeat("x", 300)} {
		f.Add(s, "png", "alice")
	}
	f.Fuzz(func(t *testing.T, name, ext, caller string) {
		b, err := NewBuilder("uploads/", zeroRand{})
		if err != nil {
			t.Fatal(err)
		}
		_ = Valid(name, "uploads/") // must not panic on anything
		for _, build := range []func() (string, error){
			func() (string, error) { return b.Upload("", name) },
			func() (string, error) { return b.Upload(caller, name) },
			func() (string, error) { return b.Compat("", name, ext) },
			func() (string, error) { return b.Compat(caller, name, ext) },
		} {
			key, err := build()
			if err != nil {
				continue
			}
			if CheckName("fileName", name) != nil {
				t.Fatalf("built %q from refused name %q", key, name)
			}
			if err := Valid(key, "uploads/"); err != nil {
				t.Fatalf("built key %q is not Valid: %v", key, err)
			}
			if len(key) > MaxKeyBytes || !utf8.ValidString(key) || strings.Contains(key, "..") || !strings.HasPrefix(key, "uploads/") {
				t.Fatalf("built key %q breaks the grammar", key)
			}
			for _, r := range key {
				if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\\' {
					t.Fatalf("built key %q holds %U", key, r)
				}
			}
		}
	})
}

type zeroRand struct{}

func (zeroRand) Read(p []byte) (int, error) { clear(p); return len(p), nil }
