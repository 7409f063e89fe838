package authconfig

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func hashOf(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:])
}

func TestParseKeyLines(t *testing.T) {
	ha, hb, hc := hashOf("key-a"), hashOf("key-b"), hashOf("key-c")
	tests := []struct {
		name string
		in   string
		want []KeyLine
	}{
		{
			name: "one line",
			in:   "alice:" + ha,
			want: []KeyLine{{Name: "alice", Hash: sha256.Sum256([]byte("key-a"))}},
		},
		{
			name: "newlines, CRLF, comments, blanks, upper-case hex, limits",
			in:   "# callers\r\nalice:" + strings.ToUpper(ha) + "\r\n\n  bob:" + hb + ":2.5:7  \n",
			want: []KeyLine{
				{Name: "alice", Hash: sha256.Sum256([]byte("key-a"))},
				{Name: "bob", Hash: sha256.Sum256([]byte("key-b")), Limit: Limit{PerSecond: 2.5, Burst: 7}},
			},
		},
		{
			name: "commas and rate only",
			in:   "alice:" + ha + ":3, bob:" + hb,
			want: []KeyLine{
				{Name: "alice", Hash: sha256.Sum256([]byte("key-a")), Limit: Limit{PerSecond: 3}},
				{Name: "bob", Hash: sha256.Sum256([]byte("key-b"))},
			},
		},
		{
			name: "same name twice while rotating keys",
			in:   "alice:" + ha + ":1:2\nalice:" + hc + ":1:2",
			want: []KeyLine{
				{Name: "alice", Hash: sha256.Sum256([]byte("key-a")), Limit: Limit{PerSecond: 1, Burst: 2}},
				{Name: "alice", Hash: sha256.Sum256([]byte("key-c")), Limit: Limit{PerSecond: 1, Burst: 2}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeyLines(tt.in)
			if err != nil {
				t.Fatalf("ParseKeyLines: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lines, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseKeyLinesRejects(t *testing.T) {
	ha, hb := hashOf("key-a"), hashOf("key-b")
	rawKey := "s3p_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct {
		name    string
		in      string
		wantErr []string
	}{
		{"empty", "", []string{"no API key entries"}},
		{"comments only", "# nothing\n", []string{"no API key entries"}},
		{"no hash", "alice", []string{"entry 1", "colon-separated"}},
		{"too many fields", "alice:" + ha + ":1:2:3", []string{"entry 1"}},
		{"bad name", "../x:" + ha, []string{"entry 1", "caller name"}},
		{"short hash", "alice:abcd", []string{"entry 1", "64 hex"}},
		{"raw key instead of hash", "alice:" + rawKey, []string{"entry 1", "64 hex"}},
		{"non-hex hash", "alice:" + strings.Repeat("z", 64), []string{"entry 1", "hex"}},
		{"bad rate", "alice:" + ha + ":fast", []string{"entry 1", "rate"}},
		{"zero burst", "alice:" + ha + ":1:0", []string{"entry 1", "burst"}},
		{"duplicate hash", "alice:" + ha + "\nbob:" + ha, []string{"entry 2", "same key hash as entry 1"}},
		{"conflicting limits", "alice:" + ha + ":1\nalice:" + hb + ":2", []string{"entry 2", "different limits"}},
		{"every problem reported", "alice\nbob:" + hb + "\ncarol:xyz", []string{"entry 1", "entry 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKeyLines(tt.in)
			if err == nil {
				t.Fatalf("ParseKeyLines(%q) = nil error, want one", tt.in)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, secret := range []string{ha, hb, rawKey} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q echoes key material", err)
				}
			}
		})
	}
}

func TestKeyLineStringRoundTrip(t *testing.T) {
	for _, in := range []string{
		"alice:" + hashOf("k1"),
		"bob:" + hashOf("k2") + ":0.5",
		"carol:" + hashOf("k3") + ":2:9",
	} {
		got, err := ParseKeyLines(in)
		if err != nil {
			t.Fatalf("ParseKeyLines(%q): %v", in, err)
		}
		if s := got[0].String(); s != in {
			t.Errorf("String() = %q, want %q", s, in)
		}
	}
}

func TestParseKeyLinesBounded(t *testing.T) {
	line := "alice:" + hashOf("x") + "\n"
	_, err := ParseKeyLines(strings.Repeat(line, MaxKeyLines+1))
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("error = %v, want a bound on entries", err)
	}
}
