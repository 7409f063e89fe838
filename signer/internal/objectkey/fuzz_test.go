package objectkey

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/s3presign/s3presign/signer/keyscope"
)

// FuzzKeys checks the key grammar's invariants for any file name, extension
// and caller: a key is built only from names CheckName accepts; every built
// key is Valid under the prefix (and a caller's key under the caller's
// scope, one segment below the prefix), at most MaxKeyBytes, valid UTF-8,
// free of ".." and of control and format characters; any string Valid
// accepts as a key has the same properties; and nothing panics. Seeds are in
// testdata/fuzz/FuzzKeys.
func FuzzKeys(f *testing.F) {
	for _, s := range []string{"a.png", "../../etc/passwd", "%2e%2e%2f", "a\x00b", "evil\u202egnp.exe", "Grüße 写真", " ", "..", ".", "a/b", `a\b`, strings.Repeat("x", 300)} {
		f.Add(s, "png", "alice")
	}
	f.Fuzz(func(t *testing.T, name, ext, caller string) {
		b, err := NewBuilder("uploads/", zeroRand{})
		if err != nil {
			t.Fatal(err)
		}
		if Valid(name, "uploads/") == nil { // any string as a download key
			checkInvariants(t, name)
		}
		scope, scopeErr := b.Scope(caller)
		if scopeErr == nil && (!strings.HasPrefix(scope, "uploads/") || !strings.HasSuffix(scope, "/") || strings.Count(scope, "/") > 2) {
			t.Fatalf("Scope(%q) = %q: not one segment under the prefix", caller, scope)
		}
		for i, build := range []func() (string, error){
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
			if i%2 == 1 && caller != "" { // the event parser reads the caller back
				if got, err := keyscope.Caller(key, "uploads/", true); err != nil || got != caller {
					t.Fatalf("keyscope.Caller(%q) = %q, %v; want %q", key, got, err, caller)
				}
			}
			if i%2 == 1 { // built for the caller: under the caller's scope
				if scopeErr != nil {
					t.Fatalf("built %q for caller %q, whom Scope refuses: %v", key, caller, scopeErr)
				}
				if err := Valid(key, scope); err != nil {
					t.Fatalf("built key %q is not Valid under the caller's scope %q: %v", key, scope, err)
				}
			}
			if err := Valid(key, "uploads/"); err != nil {
				t.Fatalf("built key %q is not Valid: %v", key, err)
			}
			checkInvariants(t, key)
		}
	})
}

// checkInvariants checks what every key the signer signs must be: under
// "uploads/", at most MaxKeyBytes of UTF-8, no "..", no empty segment, no
// control or format character, no backslash.
func checkInvariants(t *testing.T, key string) {
	t.Helper()
	if len(key) > MaxKeyBytes || !utf8.ValidString(key) || strings.Contains(key, "..") || !strings.HasPrefix(key, "uploads/") ||
		strings.Contains(key, "//") || strings.HasSuffix(key, "/") {
		t.Fatalf("key %q breaks the grammar", key)
	}
	for _, r := range key {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\\' {
			t.Fatalf("key %q holds %U", key, r)
		}
	}
}

type zeroRand struct{}

func (zeroRand) Read(p []byte) (int, error) { clear(p); return len(p), nil }
