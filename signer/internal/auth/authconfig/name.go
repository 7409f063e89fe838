package authconfig

import (
	"fmt"
	"strings"
)

// MaxNameLen is the longest caller name accepted.
const MaxNameLen = 64

// NameGrammar describes the caller names accepted. Names become a segment of
// object keys ("<prefix><caller>/..."), so they are kept to characters that are
// safe there: no "/", no control characters, no ".." anywhere, and the first
// character a letter or digit (so no ".", no hidden ".x", no "-flag"). It is a
// subset of the key grammar's caller segment (objectkey.CheckCaller).
const NameGrammar = `[A-Za-z0-9][A-Za-z0-9._@-]{0,63}, without ".."`

// ValidName returns nil if name matches NameGrammar.
func ValidName(name string) error {
	if name == "" {
		return fmt.Errorf("caller name is empty")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("caller name is %d bytes long, longer than %d", len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if alnum || i > 0 && (c == '.' || c == '_' || c == '@' || c == '-') {
			continue
		}
		if i == 0 {
			return fmt.Errorf("caller name must start with a letter or digit (grammar %s)", NameGrammar)
		}
		return fmt.Errorf("caller name has a byte not allowed at offset %d (grammar %s)", i, NameGrammar)
	}
	if strings.Contains(name, "..") {
		return fmt.Errorf("caller name must not contain \"..\"")
	}
	return nil
}
