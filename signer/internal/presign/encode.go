package presign

import "strings"

const upperHex = "0123456789ABCDEF"

// unreserved marks the RFC 3986 unreserved characters, the only bytes SigV4
// leaves unescaped in query names and values (A-Z a-z 0-9 - . _ ~);
// pathSafe adds '/', which S3 object paths keep.
var unreserved, pathSafe = func() (q, p [256]bool) {
	for c := 0; c < 256; c++ {
		q[c] = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
		p[c] = q[c] || c == '/'
	}
	return q, p
}()

// appendQueryEscape appends s escaped as a SigV4 query name or value: every
// byte outside the unreserved set becomes %XX (upper-case hex), a space %20.
func appendQueryEscape(dst []byte, s string) []byte {
	return appendEscape(dst, s, &unreserved)
}

// appendPathEscape appends an object key escaped for the URL path, which is
// also S3's canonical URI (S3 does not escape twice): like a query value, but
// '/' is kept.
func appendPathEscape(dst []byte, s string) []byte {
	return appendEscape(dst, s, &pathSafe)
}

// appendEscape copies runs of safe bytes in one append each and escapes the
// others as %XX.
func appendEscape(dst []byte, s string, safe *[256]bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; !safe[c] {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
			start = i + 1
		}
	}
	return append(dst, s[start:]...)
}

// appendHeaderValue appends the canonical form of a header value: surrounding
// white space trimmed and inner runs of spaces collapsed to one, as the AWS
// SDK's signer does.
func appendHeaderValue(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return append(dst, v...)
	}
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

// validHeaderName reports whether n is a lower-case HTTP token made of
// a-z 0-9 - _ . characters.
func validHeaderName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// hasCTL reports whether s holds an ASCII control character (including tab,
// CR and LF) or DEL, which cannot appear in a header value we sign.
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
