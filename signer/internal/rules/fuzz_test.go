package rules

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// fuzzAllowed is the allowed-types setting of FuzzContentTypes: built-in
// types, one with two extensions and a custom one.
const fuzzAllowed = "image/jpeg,image/png,application/pdf,text/markdown=md|markdown"

// FuzzContentTypes checks the content-type and extension decisions for any
// input: a refusal is an *apierr.Error with an invalid_request or
// unsupported_media_type code and a bounded message; an accepted content
// type is an allowed type spelled the same but for ASCII case; an accepted
// file name ends in one of that type's extensions; the compat pair resolves
// only to the extension's own allowed type, which the media type names. The
// allowed-types parser takes any setting without panicking. Seeds are in
// testdata/fuzz/FuzzContentTypes.
func FuzzContentTypes(f *testing.F) {
	f.Add("image/png", "cat.png", "image", "png", fuzzAllowed)
	f.Add("IMAGE/JPEG", "a.JPEG", "image/jpeg", "JPG", "text/x-a=a|b,,image/png")
	types, err := ParseTypes(fuzzAllowed)
	if err != nil {
		f.Fatal(err)
	}
	r, err := New(types, testLimits)
	if err != nil {
		f.Fatal(err)
	}
	allowed := map[string][]string{}
	for _, t := range r.Types() {
		allowed[t.Type] = t.Extensions
	}

	f.Fuzz(func(t *testing.T, ct, name, mediaType, ext, setting string) {
		canon, err := r.ContentType(ct)
		checkRefusal(t, err)
		if err == nil {
			if _, ok := allowed[canon]; !ok || !strings.EqualFold(canon, ct) || canon != lowerASCII(ct) {
				t.Fatalf("ContentType(%q) = %q, not an allowed type spelled the same", ct, canon)
			}
			err := r.MatchName(canon, name)
			checkRefusal(t, err)
			if err == nil {
				e := Extension(name)
				if !slices.Contains(allowed[canon], e) || !strings.HasSuffix(lowerASCII(name), "."+e) {
					t.Fatalf("MatchName(%q, %q) accepted extension %q", canon, name, e)
				}
			}
		}

		extType, extErr := r.ExtensionType(ext)
		checkRefusal(t, extErr)
		if extErr == nil && !slices.Contains(allowed[extType], lowerASCII(ext)) {
			t.Fatalf("ExtensionType(%q) = %q, which does not list it", ext, extType)
		}
		got, err := r.CompatType(mediaType, ext)
		checkRefusal(t, err)
		if err == nil {
			top, _, _ := strings.Cut(got, "/")
			if extErr != nil || got != extType || (lowerASCII(mediaType) != got && lowerASCII(mediaType) != top) {
				t.Fatalf("CompatType(%q, %q) = %q; extension type %q (%v)", mediaType, ext, got, extType, extErr)
			}
		}

		if parsed, err := ParseTypes(setting); err == nil {
			if rr, err := New(parsed, testLimits); err == nil {
				for _, ty := range parsed {
					if c, err := rr.ContentType(ty.Type); err != nil || c != ty.Type {
						t.Fatalf("setting %q: its own type %q is refused: %v", setting, ty.Type, err)
					}
				}
			}
		}
	})
}

// checkRefusal checks the shape of a refusal (nil passes).
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *apierr.Error
	if !errors.As(err, &e) {
		t.Fatalf("refusal %v (%T) is not an *apierr.Error", err, err)
	}
	if e.Code != apierr.Invalid && e.Code != apierr.MediaType || e.Message == "" || len(e.Message) > 512 {
		t.Fatalf("refusal code %q message %q: want invalid_request or unsupported_media_type with a short message", e.Code, e.Message)
	}
}
