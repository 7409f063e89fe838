package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// encodingJSON is what writeJSON (and the answers before they were appended
// by hand) writes for v.
func encodingJSON(t testing.TB, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// awkward are strings that exercise every escape encoding/json makes.
var awkward = []string{
	"", "plain", `quote " and backslash \`, "<html> & 'apostrophe'", "ctl \x00\x01\x1f\x7f \b\f\n\r\t",
	"invalid \xff\xfe utf-8 \xe2\x80", "line sep \u2028 para sep \u2029", "emoji 😀 and ü",
	"https://127.0.0.1:7070/test-bucket/uploads/a%20b.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab12",
}

// TestAnswersMatchEncodingJSON holds the hand-appended answers to the bytes
// encoding/json writes for the same values, so clients see no change.
func TestAnswersMatchEncodingJSON(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 1, 2, 3, 9, 5, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 9, 5, 120000000, time.UTC),
		time.Date(2026, 1, 2, 3, 9, 5, 0, time.FixedZone("CET", 3600)),
	}
	for _, s := range awkward {
		for _, tm := range times {
			answers := []answer{
				&uploadResponse{Key: s, URL: s, Method: "PUT", Headers: uploadHeaders{ContentType: s, IfNoneMatch: "*"}, ExpiresAt: tm},
				&uploadResponse{Key: s, URL: s, Method: s, Headers: uploadHeaders{ContentType: s, ContentLength: "10", ChecksumSHA256: s, IfNoneMatch: s}, ExpiresAt: tm},
				&uploadResponse{},
				&downloadResponse{URL: s, ExpiresAt: tm},
				&compatUploadResponse{URL: s},
				&compatUploadResponse{URL: s, Headers: &compatHeaders{ContentType: s, IfNoneMatch: "*"}},
				&compatAccessResponse{URL: s},
			}
			for _, a := range answers {
				want := encodingJSON(t, a)
				if got := string(a.appendJSON(nil)); got != want {
					t.Errorf("%T:\n got %s\nwant %s", a, got, want)
				}
			}
		}
	}
}

type answer interface{ appendJSON([]byte) []byte }

// FuzzAppendJSONString: any string is appended as encoding/json writes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := encodingJSON(t, s)
		if got := string(appendJSONString(nil, s)) + "\n"; got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}
