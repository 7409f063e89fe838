package auth

import "strings"

// MaxTokenLen bounds the bearer token accepted, in bytes.
const MaxTokenLen = 8192

// parseBearer extracts the token from the request's Authorization header
// values. It accepts exactly one header of the form "Bearer <token>" (scheme
// case-insensitive, RFC 7235), where token follows RFC 6750's b64token
// grammar and is at most MaxTokenLen bytes. Every refusal is an unauthorized
// *Error; none echoes the header.
func parseBearer(values []string, ch challenger) (string, error) {
	switch len(values) {
	case 0:
		return "", ch.missing("missing credentials: send Authorization: Bearer <token>")
	case 1:
	default:
		return "", ch.invalid("more than one Authorization header", nil)
	}
	v := strings.TrimSpace(values[0])
	if v == "" {
		return "", ch.missing("missing credentials: send Authorization: Bearer <token>")
	}
	scheme, token, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", ch.invalid("Authorization scheme must be Bearer", nil)
	}
	token = strings.TrimLeft(token, " ")
	if token == "" {
		return "", ch.invalid("empty bearer token", nil)
	}
	if len(token) > MaxTokenLen {
		return "", ch.invalid("bearer token too long", nil)
	}
	if !isB64Token(token) {
		return "", ch.invalid("bearer token has characters outside RFC 6750 b64token", nil)
	}
	return token, nil
}

// isB64Token reports whether s matches 1*( ALPHA / DIGIT / "-" / "." / "_" /
// "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
