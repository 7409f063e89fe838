package objectkey

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return
	}
	var e *apierr.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want code %s", err, want)
	}
	if e.Code != want {
		t.Fatalf("got code %s (%v), want %s", e.Code, err, want)
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"plain", "photo.png", true},
		{"spaces inside", "my holiday photo.png", true},
		{"unicode letters", "Grüße 写真.png", true},
		{"emoji", "🐱.png", true},
		{"punctuation kept", "report [final] (v2) #3 {x} 100%.pdf", true},
		{"leading dot", ".hidden.png", true},
		{"single dots", "a.b.c.png", true},
		{"exactly 255 bytes", strings.Repeat("a", 251) + ".png", true},
		{"255 bytes of multibyte", strings.Repeat("é", 125) + "a.png", true},

		{"empty", "", false},
		{"256 bytes", strings.Repeat("a", 252) + ".png", false},
		{"slash", "a/b.png", false},
		{"backslash", `a\b.png`, false},
		{"dotdot", "..", false},
		{"dot", ".", false},
		{"dotdot inside", "a..png", false},
		{"traversal", "../../etc/passwd", false},
		{"percent-encoded traversal is just text", "%2e%2e%2f.png", true},
		{"NUL", "a\x00.png", false},
		{"newline", "a\n.png", false},
		{"tab", "a\t.png", false},
		{"DEL", "a\x7f.png", false},
		{"C1 control", "a\u0085.png", false},
		{"RTL override", "evil\u202egnp.exe", false},
		{"zero-width space", "a\u200b.png", false},
		{"BOM", "\ufeffa.png", false},
		{"line separator", "a\u2028.png", false},
		{"private use", "a\ue000.png", false},
		{"unassigned", "a\U000e0080.png", false},
		{"invalid UTF-8", "a\xff.png", false},
		{"leading space", " a.png", false},
		{"trailing space", "a.png ", false},
		{"only space", " ", false},
		{"leading ideographic space", "\u3000a.png", false},
		{"S3 form variable", "${filename}.png", false},
		{"variable start inside", "a${x.png", false},
		{"dollar without brace", "price $5 {eur}.png", true},
		{"brace before dollar", "a{$b}.png", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckName("fileName", tt.in)
			if tt.ok {
				wantCode(t, err, "")
			} else {
				wantCode(t, err, apierr.Invalid)
			}
		})
	}
}

func TestCheckPrefix(t *testing.T) {
	for _, p := range []string{"uploads/", "a/b/", "x-1_2.3/"} {
		if err := CheckPrefix(p); err != nil {
			t.Errorf("CheckPrefix(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"", "uploads", "/uploads/", "a//", "../", "a/../", "a\x00/", strings.Repeat("a", 256) + "/"} {
		if err := CheckPrefix(p); err == nil {
			t.Errorf("CheckPrefix(%q) = nil, want an error", p)
		}
	}
}

func TestCheckCaller(t *testing.T) {
	for _, c := range []string{"alice", "svc-1", "user@example.com", "A.B_c+d=e"} {
		wantCode(t, CheckCaller(c), "")
	}
	for _, c := range []string{"", "a/b", "a b", "..", ".", "a..b", "é", "a|b", strings.Repeat("a", 65)} {
		if err := CheckCaller(c); err == nil {
			t.Errorf("CheckCaller(%q) = nil, want an error", c)
		}
	}
}

// fixedRand returns a reader that yields the same 16 bytes each time.
func fixedRand(b byte) *bytes.Reader { return bytes.NewReader(bytes.Repeat([]byte{b}, 16)) }

func TestNewID(t *testing.T) {
	id, err := NewID(fixedRand(0))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("a", IDLen); id != want {
		t.Errorf("got %q, want %q", id, want)
	}
	id, _ = NewID(fixedRand(0xff))
	if want := strings.Repeat("7", 25) + "4"; id != want {
		t.Errorf("got %q, want %q", id, want)
	}
	if _, err := NewID(bytes.NewReader(make([]byte, 15))); err == nil {
		t.Error("short random source: got nil error")
	}
}

func TestBuilderUpload(t *testing.T) {
	ids := strings.Repeat("a", IDLen)
	tests := []struct {
		caller, name string
		want, code   string
	}{
		{name: "photo.png", want: "uploads/" + ids + "/photo.png"},
		{caller: "alice", name: "Grüße.pdf", want: "uploads/alice/" + ids + "/Grüße.pdf"},
		{name: "../x.png", code: apierr.Invalid},
		{name: "", code: apierr.Invalid},
		{caller: "a/b", name: "x.png", code: apierr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.caller+"/"+tt.name, func(t *testing.T) {
			b, err := NewBuilder("uploads/", fixedRand(0))
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.Upload(tt.caller, tt.name)
			wantCode(t, err, tt.code)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if tt.code == "" {
				if err := Valid(got, "uploads/"); err != nil {
					t.Errorf("built key %q is not Valid: %v", got, err)
				}
			}
		})
	}
}

func TestBuilderCompat(t *testing.T) {
	tests := []struct {
		caller, fileName, ext string
		want, code            string
	}{
		{fileName: "demo-image", ext: "png", want: "uploads/demo-image.png"},
		{fileName: "Demo Image", ext: "PNG", want: "uploads/Demo Image.PNG"},
		{caller: "bob", fileName: "a", ext: "pdf", want: "uploads/bob/a.pdf"},
		{fileName: "a.", ext: "png", code: apierr.Invalid},
		{fileName: "a", ext: "", code: apierr.Invalid},
		{fileName: "a", ext: "p/ng", code: apierr.Invalid},
		{fileName: "", ext: "png", code: apierr.Invalid},
		{fileName: strings.Repeat("a", 251), ext: "png", want: "uploads/" + strings.Repeat("a", 251) + ".png"},
		{fileName: strings.Repeat("a", 252), ext: "png", code: apierr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.fileName+"."+tt.ext, func(t *testing.T) {
			b, err := NewBuilder("uploads/", fixedRand(0))
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.Compat(tt.caller, tt.fileName, tt.ext)
			wantCode(t, err, tt.code)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLongestKeyFits(t *testing.T) {
	// The longest prefix, caller, id and name together stay under S3's limit,
	// so no valid input is refused for length alone.
	prefix := strings.Repeat("p", 255) + "/"
	b, err := NewBuilder(prefix, fixedRand(1))
	if err != nil {
		t.Fatal(err)
	}
	key, err := b.Upload(strings.Repeat("c", MaxCallerBytes), strings.Repeat("n", 251)+".png")
	if err != nil {
		t.Fatal(err)
	}
	if len(key) > MaxKeyBytes {
		t.Fatalf("key is %d bytes", len(key))
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		key, code string
	}{
		{key: "uploads/abc/photo.png"},
		{key: "uploads/photo.png"},
		{key: "uploads/alice/abc/Grüße.pdf"},
		{key: "other/photo.png", code: apierr.Forbidden},
		{key: "uploadsx/photo.png", code: apierr.Forbidden},
		{key: "uploads/", code: apierr.Invalid},
		{key: "", code: apierr.Invalid},
		{key: "uploads/../secret", code: apierr.Invalid},
		{key: "../uploads/x", code: apierr.Invalid},
		{key: "uploads/a//b", code: apierr.Invalid},
		{key: "uploads/a/", code: apierr.Invalid},
		{key: "uploads/a\x00b", code: apierr.Invalid},
		{key: "uploads/a\u202eb", code: apierr.Invalid},
		{key: "uploads/" + strings.Repeat("a", 256), code: apierr.Invalid},
		{key: "uploads/" + strings.Repeat("a/", 508), code: apierr.Invalid},
		{key: "uploads/" + strings.Repeat("a/", 507) + "a"},
	}
	for _, tt := range tests {
		name := tt.key
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			wantCode(t, Valid(tt.key, "uploads/"), tt.code)
		})
	}
}

// A "${" is refused in file names but not in key segments: an object stored
// before the rule stays readable.
func TestVariableInNameRefusedButExistingKeyReadable(t *testing.T) {
	err := CheckName("fileName", "${filename}.png")
	wantCode(t, err, apierr.Invalid)
	if !strings.Contains(err.Error(), "${") || !strings.Contains(err.Error(), "rename") {
		t.Errorf("message %q does not say what is wrong and what to do", err)
	}
	wantCode(t, Valid("uploads/abc/${filename}.png", "uploads/"), "")
	wantCode(t, Valid("uploads/abc/filename.png", "uploads/"), "")
}
