package rules

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

var testLimits = Limits{MaxSize: 10 << 20, DefaultExpiry: 5 * time.Minute, MaxExpiry: time.Hour}

func newRules(t *testing.T, allowed string) *Rules {
	t.Helper()
	types, err := ParseTypes(allowed)
	if err != nil {
		t.Fatalf("ParseTypes(%q): %v", allowed, err)
	}
	r, err := New(types, testLimits)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// wantCode checks that err carries the API error code want ("" = no error).
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

func TestParseTypes(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Type
		errs     []string // substrings every one of which the error must contain
	}{
		{name: "default set", in: DefaultAllowed, want: []Type{
			{"image/jpeg", []string{"jpg", "jpeg"}}, {"image/png", []string{"png"}}, {"image/gif", []string{"gif"}},
			{"image/webp", []string{"webp"}}, {"application/pdf", []string{"pdf"}},
		}},
		{name: "case and spaces", in: " IMAGE/PNG , application/PDF ", want: []Type{{"image/png", []string{"png"}}, {"application/pdf", []string{"pdf"}}}},
		{name: "custom extensions", in: "text/markdown=md|Markdown", want: []Type{{"text/markdown", []string{"md", "markdown"}}}},
		{name: "custom overrides known", in: "image/jpeg=jpg", want: []Type{{"image/jpeg", []string{"jpg"}}}},
		{name: "unknown type without extensions", in: "image/svg+xml", errs: []string{`"image/svg+xml" is not in the built-in table`}},
		{name: "every problem reported", in: "text/html,nonsense=x,image/x=,a/b=toolongextension123", errs: []string{`"text/html"`, `"nonsense"`, `"image/x"`, `"toolongextension123"`}},
		{name: "parameters refused", in: "text/plain; charset=utf-8=txt", errs: []string{"not a bare"}},
		{name: "empty list", in: " , ", errs: []string{"no content type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTypes(tt.in)
			if len(tt.errs) > 0 {
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				for _, s := range tt.errs {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i].Type != tt.want[i].Type || strings.Join(got[i].Extensions, ",") != strings.Join(tt.want[i].Extensions, ",") {
					t.Errorf("entry %d: got %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	types := []Type{{"image/png", []string{"png"}}, {"image/x-png", []string{"png"}}, {"image/png", []string{"png"}}}
	_, err := New(types, Limits{MaxSize: MaxPutSize + 1, DefaultExpiry: 9 * 24 * time.Hour, MaxExpiry: 8 * 24 * time.Hour})
	if err == nil {
		t.Fatal("got nil error, want one listing every problem")
	}
	for _, s := range []string{"belongs to both", "listed twice", "max size", "max expiry", "above max expiry"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
	// Control: the same shape with sane values is accepted.
	if _, err := New(types[:1], testLimits); err != nil {
		t.Fatalf("control: %v", err)
	}
}

func TestContentTypeAndName(t *testing.T) {
	r := newRules(t, DefaultAllowed)
	tests := []struct {
		ct, name string
		canon    string
		code     string
	}{
		{ct: "image/png", name: "a.png", canon: "image/png"},
		{ct: "Image/PNG", name: "A.PNG", canon: "image/png"},
		{ct: "image/jpeg", name: "photo.jpeg", canon: "image/jpeg"},
		{ct: "image/jpeg", name: "photo.JPG", canon: "image/jpeg"},
		{ct: "image/jpeg", name: "photo.png", code: apierr.Invalid},
		{ct: "image/png", name: "png", code: apierr.Invalid},
		{ct: "image/png", name: "a.", code: apierr.Invalid},
		{ct: "image/png", name: "a.png.exe", code: apierr.Invalid},
		{ct: "video/mp4", name: "a.mp4", code: apierr.MediaType},
		{ct: "image/png; charset=x", name: "a.png", code: apierr.MediaType},
		{ct: "", name: "a.png", code: apierr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.ct+" "+tt.name, func(t *testing.T) {
			canon, err := r.ContentType(tt.ct)
			if err == nil {
				err = r.MatchName(canon, tt.name)
			}
			wantCode(t, err, tt.code)
			if tt.code == "" && canon != tt.canon {
				t.Errorf("got canonical %q, want %q", canon, tt.canon)
			}
		})
	}
}

func TestCompatType(t *testing.T) {
	r := newRules(t, DefaultAllowed)
	tests := []struct {
		mediaType, ext string
		want, code     string
	}{
		{mediaType: "image", ext: "png", want: "image/png"},
		{mediaType: "IMAGE", ext: "PNG", want: "image/png"},
		{mediaType: "image/jpeg", ext: "jpg", want: "image/jpeg"},
		{mediaType: "application", ext: "pdf", want: "application/pdf"},
		{mediaType: "video", ext: "png", code: apierr.Invalid},
		{mediaType: "image/gif", ext: "png", code: apierr.Invalid},
		{mediaType: "", ext: "png", code: apierr.Invalid},
		{mediaType: "image", ext: "", code: apierr.Invalid},
		{mediaType: "image", ext: "svg", code: apierr.MediaType},
		{mediaType: "video", ext: "mp4", code: apierr.MediaType},
	}
	for _, tt := range tests {
		t.Run(tt.mediaType+"+"+tt.ext, func(t *testing.T) {
			got, err := r.CompatType(tt.mediaType, tt.ext)
			wantCode(t, err, tt.code)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckSize(t *testing.T) {
	r := newRules(t, DefaultAllowed)
	tests := []struct {
		size int64
		code string
	}{
		{size: 1},
		{size: 10 << 20},
		{size: 10<<20 + 1, code: apierr.TooLarge},
		{size: 0, code: apierr.Invalid},
		{size: -5, code: apierr.Invalid},
	}
	for _, tt := range tests {
		wantCode(t, r.CheckSize(tt.size), tt.code)
	}
}

func TestLifetime(t *testing.T) {
	r := newRules(t, DefaultAllowed)
	now := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	tests := []struct {
		name        string
		requested   time.Duration
		credsExpire time.Time
		want        time.Duration
		code        string
	}{
		{name: "default", want: 5 * time.Minute},
		{name: "requested", requested: 90 * time.Second, want: 90 * time.Second},
		{name: "clamped to max", requested: 3 * time.Hour, want: time.Hour},
		{name: "whole seconds", requested: 1500 * time.Millisecond, want: time.Second},
		{name: "at least one second", requested: time.Millisecond, want: time.Second},
		{name: "negative", requested: -time.Second, code: apierr.Invalid},
		{name: "long-lived credentials", credsExpire: now.Add(6 * time.Hour), want: 5 * time.Minute},
		{name: "credentials cap the lifetime", requested: time.Hour, credsExpire: now.Add(2 * time.Minute), want: time.Minute},
		{name: "credentials leave exactly the minimum", credsExpire: now.Add(CredentialMargin + MinLifetime), want: MinLifetime},
		{name: "credentials leave too little", credsExpire: now.Add(CredentialMargin + MinLifetime - time.Nanosecond), code: apierr.Unavailable},
		{name: "expired credentials", credsExpire: now.Add(-time.Second), code: apierr.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Lifetime(tt.requested, now, tt.credsExpire)
			wantCode(t, err, tt.code)
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestExtension(t *testing.T) {
	for in, want := range map[string]string{"a.png": "png", "a.b.JPG": "jpg", "noext": "", "trailing.": "", ".png": "png", "": ""} {
		if got := Extension(in); got != want {
			t.Errorf("Extension(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKnownTableIsConsistent(t *testing.T) {
	// The whole built-in table must be a valid configuration on its own:
	// valid names and no extension shared by two types.
	if _, err := New(Known(), testLimits); err != nil {
		t.Fatal(err)
	}
}
