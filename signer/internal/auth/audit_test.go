package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestAuditLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	exp := time.Date(2026, 3, 1, 12, 5, 0, 0, time.FixedZone("CET", 3600))
	Audit(context.Background(), log, Issued{
		Caller: Caller{Name: "alice"}, Operation: "upload", Key: "uploads/alice/01hx/cat.png",
		SizeLimit: 1048576, ExpiresAt: exp, RequestID: "req-42",
	})
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("audit output is not one JSON line: %v\n%s", err, buf.String())
	}
	want := map[string]any{
		"msg": AuditMessage, "audit": true, "caller": "alice", "anonymous": false, "op": "upload",
		"key": "uploads/alice/01hx/cat.png", "size_limit": float64(1048576),
		"expires_at": "2026-03-01T11:05:00Z", "request_id": "req-42",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("want exactly one line, got:\n%s", buf.String())
	}
}

// TestAuditHasNoSecrets issues a URL the way a handler would, with every
// secret of the exchange at hand, and checks none reaches the log.
func TestAuditHasNoSecrets(t *testing.T) {
	secrets := map[string]string{
		"presigned URL": "https://bucket.s3.eu-west-1.amazonaws.com/uploads/alice/01hx/cat.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260301%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"signature":     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"access key id": "AKIAEXAMPLE",
		"bearer token":  "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl",
		"API key":       "s3p_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	ctx := WithCaller(context.Background(), Caller{Name: "alice"})
	c, _ := FromContext(ctx)
	Audit(ctx, log, Issued{Caller: c, Operation: "upload", Key: "uploads/alice/01hx/cat.png", ExpiresAt: time.Now(), RequestID: "r"})
	// a handler bug passing the URL as the key is caught by the guard
	Audit(ctx, log, Issued{Caller: c, Operation: "download", Key: secrets["presigned URL"], ExpiresAt: time.Now(), RequestID: "r"})
	Audit(ctx, log, Issued{Caller: c, Operation: "download", Key: "a/b?X-Amz-Signature=" + secrets["signature"], ExpiresAt: time.Now(), RequestID: "r"})
	out := buf.String()
	for what, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("audit log contains the %s:\n%s", what, out)
		}
	}
	for _, marker := range []string{"X-Amz-", "://", "Bearer", "s3p_"} {
		if strings.Contains(out, marker) {
			t.Errorf("audit log contains %q:\n%s", marker, out)
		}
	}
	if !strings.Contains(out, `"key":"uploads/alice/01hx/cat.png"`) {
		t.Errorf("the ordinary key is missing (control):\n%s", out)
	}
}
