package rules

import (
	"errors"
	"fmt"
	"strings"
)

// Type is an allowed content type and the file extensions that go with it.
type Type struct {
	// Type is the lower-case content type, e.g. "image/png".
	Type string
	// Extensions are lower-case extensions without the dot, e.g. "png".
	Extensions []string
}

// known maps well-understood content types to their extensions. A type in
// this table can be allowed by name alone; any other type needs its
// extensions spelled out ("type=ext|ext"). Types that a browser renders as
// active content (HTML, SVG, JavaScript) are deliberately absent.
var known = []Type{
	{"image/jpeg", []string{"jpg", "jpeg"}},
	{"image/png", []string{"png"}},
	{"image/gif", []string{"gif"}},
	{"image/webp", []string{"webp"}},
	{"image/avif", []string{"avif"}},
	{"image/heic", []string{"heic"}},
	{"image/heif", []string{"heif"}},
	{"image/tiff", []string{"tif", "tiff"}},
	{"image/bmp", []string{"bmp"}},
	{"application/pdf", []string{"pdf"}},
	{"application/zip", []string{"zip"}},
	{"application/json", []string{"json"}},
	{"text/plain", []string{"txt"}},
	{"text/csv", []string{"csv"}},
	{"video/mp4", []string{"mp4"}},
	{"video/webm", []string{"webm"}},
	{"video/quicktime", []string{"mov"}},
	{"audio/mpeg", []string{"mp3"}},
	{"audio/ogg", []string{"ogg"}},
	{"audio/wav", []string{"wav"}},
}

// activeTypes are the types a browser executes or renders as a document
// (scripts, HTML, SVG, XML with stylesheets): served inline from the
// bucket's origin, one could run script there.
var activeTypes = []string{
	"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
	"application/javascript", "text/javascript",
}

// activeExtensions are the usual extensions of the active types, whatever
// type an allowed-types entry gives them: downloads of such names are
// attachments too.
var activeExtensions = []string{"html", "htm", "shtml", "xhtml", "xht", "svg", "svgz", "xml", "xsl", "xslt", "js", "mjs"}

// IsActive reports whether ct (lower case) is a content type a browser
// executes or renders as a document: allowed only on explicit request and
// always downloaded as an attachment.
func IsActive(ct string) bool {
	for _, a := range activeTypes {
		if a == ct {
			return true
		}
	}
	return false
}

// DefaultAllowed is the default allowed-types setting: common images and PDF.
const DefaultAllowed = "image/jpeg,image/png,image/gif,image/webp,application/pdf"

// Known returns a copy of the built-in content type table.
func Known() []Type {
	out := make([]Type, len(known))
	for i, t := range known {
		out[i] = Type{Type: t.Type, Extensions: append([]string(nil), t.Extensions...)}
	}
	return out
}

// ParseTypes parses the allowed-types setting: a comma-separated list whose
// entries are either a type from the built-in table ("image/png") or a type
// with its extensions ("text/markdown=md|markdown"). Letters are lower-cased;
// spaces around entries are ignored. Every problem is reported.
func ParseTypes(list string) ([]Type, error) {
	var (
		out  []Type
		errs []error
	)
	for entry := range strings.SplitSeq(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, exts, custom := strings.Cut(entry, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		t := Type{Type: name}
		if custom {
			for e := range strings.SplitSeq(exts, "|") {
				t.Extensions = append(t.Extensions, strings.ToLower(strings.TrimSpace(e)))
			}
		} else {
			for _, k := range known {
				if k.Type == name {
					t.Extensions = append([]string(nil), k.Extensions...)
				}
			}
			if t.Extensions == nil {
				errs = append(errs, fmt.Errorf("content type %q is not in the built-in table; give its extensions as %q", name, name+"=ext"))
				continue
			}
		}
		if err := t.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no content type is listed"))
	}
	return out, errors.Join(errs...)
}

func (t Type) validate() error {
	if !validMediaType(t.Type) {
		return fmt.Errorf("content type %q is not a bare lower-case type/subtype", t.Type)
	}
	if len(t.Extensions) == 0 {
		return fmt.Errorf("content type %q has no extension", t.Type)
	}
	for _, e := range t.Extensions {
		if !validExtension(e) {
			return fmt.Errorf("content type %q: extension %q must be 1-16 characters a-z, 0-9", t.Type, e)
		}
	}
	return nil
}

// validMediaType accepts RFC 6838 restricted names in lower case:
// type "/" subtype, each 1-63 characters of a-z 0-9 ! # $ & - ^ _ . +,
// starting with a letter or digit.
func validMediaType(s string) bool {
	top, sub, ok := strings.Cut(s, "/")
	return ok && restrictedName(top) && restrictedName(sub)
}

func restrictedName(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && strings.IndexByte("!#$&-^_.+", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func validExtension(s string) bool {
	if len(s) == 0 || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
