package auth

import "strings"

// AuditMessage is the message of every audit line, to filter on: the API
// writes the audit fields in the request's one line (api.RequestLog), which
// then carries this message.
const AuditMessage = "url issued"

// SafeKey returns key as an audit line may hold it: a key that looks like a
// URL or carries signing parameters (a handler bug passing the URL as the
// key) is replaced by a marker, so no signature reaches the log.
func SafeKey(key string) string {
	if looksSigned(key) {
		return "[redacted: looked like a URL]"
	}
	return key
}

func looksSigned(s string) bool {
	return strings.Contains(s, "://") || containsFold(s, "x-amz-") || containsFold(s, "signature=")
}

// containsFold reports whether s contains sub (lower-case ASCII) in any
// case, without the copy strings.ToLower makes of s.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
