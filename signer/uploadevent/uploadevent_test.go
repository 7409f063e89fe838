package uploadevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// goldenCases says how each raw event in testdata is parsed.
var goldenCases = []struct {
	file     string
	opts     Options
	scanning string // suffix of the golden file when the same input is parsed with scanning on
	ignored  bool   // ErrIgnored expected
	refused  bool   // another error expected
}{
	{file: "eventbridge-object-created", opts: Options{Prefix: "uploads/", NamedCallers: true}},
	{file: "eventbridge-object-created", opts: Options{Prefix: "uploads/", NamedCallers: true, Scanning: true}, scanning: "-scanning"},
	{file: "eventbridge-object-created-multipart", opts: Options{Prefix: "uploads/", NamedCallers: true}},
	{file: "eventbridge-object-created-docs-key", opts: Options{Prefix: "uploads/", NamedCallers: true}, ignored: true},
	{file: "eventbridge-object-created-bad-key", opts: Options{Prefix: "uploads/", NamedCallers: true}, refused: true},
	{file: "guardduty-clean", opts: Options{Prefix: "uploads/", NamedCallers: true, Scanning: true}},
	{file: "guardduty-threat", opts: Options{Prefix: "uploads/", NamedCallers: true, Scanning: true}},
	{file: "guardduty-unsupported", opts: Options{Prefix: "uploads/", NamedCallers: true, Scanning: true}},
	{file: "versitygw-put", opts: Options{Prefix: "uploads/", NamedCallers: true}},
	{file: "versitygw-complete", opts: Options{Prefix: "uploads/", NamedCallers: true}},
	{file: "versitygw-post", opts: Options{Prefix: "uploads/", NamedCallers: true}},
	{file: "versitygw-test-event", opts: Options{Prefix: "uploads/", NamedCallers: true}, ignored: true},
}

// TestGolden parses every raw event in testdata and compares the result
// with its golden file; ignored and refused events must fail the right way.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.file+c.scanning, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", c.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var events []Event
			if strings.HasPrefix(c.file, "versitygw-") {
				events, err = ParseVersitygw(raw, c.opts)
			} else {
				var e Event
				if e, err = ParseEventBridge(raw, c.opts); err == nil {
					events = []Event{e}
				}
			}
			switch {
			case c.ignored:
				if !errors.Is(err, ErrIgnored) {
					t.Fatalf("err = %v, want ErrIgnored", err)
				}
				return
			case c.refused:
				if err == nil || errors.Is(err, ErrIgnored) {
					t.Fatalf("err = %v, want a refusal", err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			for _, e := range events {
				if strings.Contains(string(mustJSON(t, e)), "http") {
					t.Fatalf("event carries a URL: %s", mustJSON(t, e))
				}
			}
			got, err := json.MarshalIndent(events, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", c.file+c.scanning+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s differs:\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

func mustJSON(t *testing.T, e Event) []byte {
	t.Helper()
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTypesFollowScanning checks the ready rule on the documented samples:
// without scanning an Object Created is Ready; with scanning it is Created
// and only a clean scan result is Ready; a threat is Rejected with its name.
func TestTypesFollowScanning(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	o := Options{Prefix: "uploads/", NamedCallers: true}
	for _, c := range []struct {
		file     string
		scanning bool
		want     Type
		scan     string
	}{
		{"eventbridge-object-created", false, Ready, ScanOff},
		{"eventbridge-object-created", true, Created, ScanPending},
		{"guardduty-clean", true, Ready, "NO_THREATS_FOUND"},
		{"guardduty-threat", true, Rejected, "THREATS_FOUND"},
		{"guardduty-unsupported", true, Rejected, "UNSUPPORTED"},
	} {
		o.Scanning = c.scanning
		e, err := ParseEventBridge(read(c.file), o)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if e.Type != c.want || e.Scan != c.scan || e.Caller != "alice" || e.Schema != SchemaV1 {
			t.Errorf("%s (scanning %v): type %q scan %q caller %q schema %q; want %q %q alice %q", c.file, c.scanning, e.Type, e.Scan, e.Caller, e.Schema, c.want, c.scan, SchemaV1)
		}
	}
	e, err := ParseEventBridge(read("guardduty-threat"), Options{Prefix: "uploads/", NamedCallers: true, Scanning: true})
	if err != nil || len(e.Threats) != 1 || !strings.HasPrefix(e.Threats[0], "EICAR") {
		t.Fatalf("threats = %v, %v", e.Threats, err)
	}
}

// TestCallerFollowsAuthMode: in mode none the first segment is not a caller.
func TestCallerFollowsAuthMode(t *testing.T) {
	raw, err := os.ReadFile("testdata/eventbridge-object-created.json")
	if err != nil {
		t.Fatal(err)
	}
	named, err := ParseEventBridge(raw, Options{Prefix: "uploads/", NamedCallers: true})
	if err != nil || named.Caller != "alice" {
		t.Fatalf("named: %q, %v", named.Caller, err)
	}
	anon, err := ParseEventBridge(raw, Options{Prefix: "uploads/"})
	if err != nil || anon.Caller != "" {
		t.Fatalf("mode none: %q, %v", anon.Caller, err)
	}
	if _, err := ParseEventBridge(raw, Options{}); err == nil {
		t.Fatal("an empty prefix must be refused")
	}
}

// TestVersitygwPostNeedsKey: versitygw's POST notification has no key; the
// receiver supplies it and the caller is read from it.
func TestVersitygwPostNeedsKey(t *testing.T) {
	raw, err := os.ReadFile("testdata/versitygw-post.json")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Prefix: "uploads/", NamedCallers: true}
	events, err := ParseVersitygw(raw, o)
	if err != nil || len(events) != 1 || !events[0].NeedsKey() {
		t.Fatalf("events = %+v, %v; want one keyless event", events, err)
	}
	e, err := events[0].WithKey("uploads/carol/abc/x.png", o)
	if err != nil || e.Caller != "carol" || e.NeedsKey() || e.Type != Ready {
		t.Fatalf("WithKey: %+v, %v", e, err)
	}
	if _, err := events[0].WithKey("uploads/carol/../x.png", o); err == nil {
		t.Fatal("WithKey accepted a key outside the grammar")
	}
}

// FuzzParse: no input makes either parser panic, and any event either
// parser returns names a key that keyscope reads the same caller from.
func FuzzParse(f *testing.F) {
	for _, c := range goldenCases {
		if b, err := os.ReadFile(filepath.Join("testdata", c.file+".json")); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		o := Options{Prefix: "uploads/", NamedCallers: true}
		if e, err := ParseEventBridge(raw, o); err == nil && !strings.HasPrefix(e.Key, "uploads/"+e.Caller+"/") {
			t.Fatalf("key %q, caller %q", e.Key, e.Caller)
		}
		events, _ := ParseVersitygw(raw, o)
		for _, e := range events {
			if !e.NeedsKey() && !strings.HasPrefix(e.Key, "uploads/"+e.Caller+"/") {
				t.Fatalf("key %q, caller %q", e.Key, e.Caller)
			}
		}
	})
}
