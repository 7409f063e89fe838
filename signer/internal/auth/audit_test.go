package auth

import (
	"strings"
	"testing"
)

// SafeKey guards the audit fields of the request log: a handler bug passing
// a presigned URL or signing parameters as the key logs a marker, never the
// signature. An ordinary key passes unchanged (the control).
func TestSafeKeyRedactsWhatLooksSigned(t *testing.T) {
	const signature = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, key := range []string{
		"https://bucket.s3.eu-west-1.amazonaws.com/uploads/alice/01hx/cat.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=" + signature,
		"a/b?X-Amz-Signature=" + signature,
		"a/b?x-amz-credential=AKIAEXAMPLE",
		"a/b?Signature=" + signature,
	} {
		got := SafeKey(key)
		if strings.Contains(got, signature) || strings.Contains(got, "AKIAEXAMPLE") || got == key {
			t.Errorf("SafeKey(%q) = %q, want a redaction marker", key, got)
		}
	}
	if key := "uploads/alice/01hx/cat.png"; SafeKey(key) != key {
		t.Errorf("SafeKey(%q) = %q, want it unchanged", key, SafeKey(key))
	}
}
