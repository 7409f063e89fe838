package auth

import (
	"context"
	"log/slog"
	"strings"
	"time"
)

// AuditMessage is the message of every audit line, to filter on.
const AuditMessage = "url issued"

// Issued describes one issued URL for the audit log. It deliberately has no
// field for the URL, its query, the signature, the caller's token or key.
type Issued struct {
	// Caller is who got the URL.
	Caller Caller
	// Operation names what the URL does, e.g. "upload", "download", "multipart_part".
	Operation string
	// Key is the object key.
	Key string
	// SizeLimit is the most bytes the URL may write; 0 for none (downloads).
	SizeLimit int64
	// ExpiresAt is when the URL stops working.
	ExpiresAt time.Time
	// RequestID is the API's id of the request, to join with the access log.
	RequestID string
}

// Audit writes one structured line for an issued URL at level Info:
//
//	{"msg":"url issued","audit":true,"caller":"alice","anonymous":false,
//	 "op":"upload","key":"uploads/alice/…","size_limit":1048576,
//	 "expires_at":"2026-01-02T03:04:05Z","request_id":"…"}
//
// Give it a logger that keeps Info lines (audit lines must not be filtered by
// the service's log level). The signer's API does not call it: it writes the
// same fields in each request's one line (api.RequestLog), through SafeKey. As a guard, a key that looks like a URL or carries
// signing parameters is not logged.
func Audit(ctx context.Context, log *slog.Logger, e Issued) {
	key := SafeKey(e.Key)
	log.LogAttrs(ctx, slog.LevelInfo, AuditMessage,
		slog.Bool("audit", true),
		slog.String("caller", e.Caller.Name),
		slog.Bool("anonymous", e.Caller.Anonymous()),
		slog.String("op", e.Operation),
		slog.String("key", key),
		slog.Int64("size_limit", e.SizeLimit),
		slog.String("expires_at", e.ExpiresAt.UTC().Format(time.RFC3339)),
		slog.String("request_id", e.RequestID),
	)
}

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
