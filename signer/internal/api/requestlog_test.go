package api

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/auth"
)

// The documents whose CloudWatch Logs Insights queries read the request
// lines, and the CDK code whose log metric filters would.
var (
	queryDocs     = []string{"../../README.md", "../../../infra/README.md"}
	metricFilters = "../../../infra/monitoring"
)

// insightsKeywords are the query language's own words, not field names.
var insightsKeywords = map[string]bool{
	"fields": true, "filter": true, "and": true, "or": true, "not": true, "stats": true, "by": true,
	"sort": true, "desc": true, "asc": true, "limit": true, "like": true, "in": true, "display": true,
	"as": true, "count": true, "avg": true, "max": true, "min": true, "sum": true, "pct": true, "bin": true,
	"ispresent": true, "dedup": true,
}

var (
	identRE    = regexp.MustCompile(`@?[A-Za-z_][A-Za-z0-9_]*`)
	literalRE  = regexp.MustCompile(`"[^"]*"|/[^/]*/|\b[0-9]+[a-z]*\b`)
	msgEqRE    = regexp.MustCompile(`\bmsg\s*=\s*"([^"]*)"`)
	jsonPathRE = regexp.MustCompile(`\$\.([A-Za-z_][A-Za-z0-9_]*)`)
)

// insightsQueries returns the Logs Insights queries in a markdown text: the
// fenced blocks whose first line starts with "fields".
func insightsQueries(md string) []string {
	var out []string
	blocks := strings.Split(md, "```")
	for i := 1; i < len(blocks); i += 2 {
		b := strings.TrimSpace(blocks[i])
		if strings.HasPrefix(b, "fields ") {
			out = append(out, b)
		}
	}
	return out
}

// queryFields returns the field names a query reads (not @-fields, which
// CloudWatch adds) and the msg values it filters on.
func queryFields(q string) (fields, msgs []string) {
	for _, m := range msgEqRE.FindAllStringSubmatch(q, -1) {
		msgs = append(msgs, m[1])
	}
	for _, id := range identRE.FindAllString(literalRE.ReplaceAllString(q, " "), -1) {
		if strings.HasPrefix(id, "@") || insightsKeywords[id] || slices.Contains(fields, id) {
			continue
		}
		fields = append(fields, id)
	}
	return fields, msgs
}

// missingFields lists the fields of a query that line lacks, and the msg
// values it filters on that no request line carries.
func missingFields(q string, line map[string]any) []string {
	var missing []string
	fields, msgs := queryFields(q)
	for _, f := range fields {
		if _, ok := line[f]; !ok {
			missing = append(missing, f)
		}
	}
	for _, m := range msgs {
		if m != MsgRequest && m != auth.AuditMessage {
			missing = append(missing, `msg "`+m+`"`)
		}
	}
	return missing
}

// issuedLine returns the line of a request that issued a URL, as the
// production writer (static attributes included) writes it.
func issuedLine(t *testing.T) map[string]any {
	t.Helper()
	logs := &syncBuffer{}
	s := newTestServer(t, func(d *Deps) {
		d.RequestLog = NewRequestLog(logs, slog.LevelInfo, slog.String("service", "signer"), slog.String("environment", "test"))
	})
	if w := s.postJSON("/v1/uploads", `{"fileName":"cat.png","contentType":"image/png","size":10}`); w.Code != 201 {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line for one request, got %d:\n%s", len(lines), logs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatalf("line is not JSON: %v\n%s", err, lines[0])
	}
	return m
}

// TestRequestLineServesTheDocumentedQueries checks that the one line of a
// request that issued a URL has every field the Logs Insights queries in
// the READMEs read, and the msg they filter on.
func TestRequestLineServesTheDocumentedQueries(t *testing.T) {
	line := issuedLine(t)
	n := 0
	for _, doc := range queryDocs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range insightsQueries(string(b)) {
			n++
			if missing := missingFields(q, line); len(missing) > 0 {
				t.Errorf("%s: the query\n%s\nreads %v, which request lines lack: %v", doc, q, missing, line)
			}
		}
	}
	if n < 2 {
		t.Errorf("found %d Logs Insights queries in %v, want at least 2 (the audit and operating queries)", n, queryDocs)
	}
	// Control: a query reading a field the line does not have fails.
	if missing := missingFields("fields @timestamp, op, presigned_url\n| filter msg = \"url issued\"", line); !slices.Equal(missing, []string{"presigned_url"}) {
		t.Errorf("control: missing = %v, want [presigned_url]", missing)
	}
	if missing := missingFields(`fields key | filter msg = "url_issued"`, line); len(missing) != 1 {
		t.Errorf("control: a wrong msg is not caught: %v", missing)
	}
}

// TestRequestLineServesTheMetricFilters checks every JSON field a CloudWatch
// log metric filter in infra/monitoring reads ({ $.field = ... }). The
// alarms today watch the signer's EMF metrics and the ALB's, not log lines;
// a metric filter added later is held to the line here.
func TestRequestLineServesTheMetricFilters(t *testing.T) {
	line := issuedLine(t)
	files, err := filepath.Glob(filepath.Join(metricFilters, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CDK sources in %s: %v", metricFilters, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range jsonPathRE.FindAllStringSubmatch(string(b), -1) {
			if _, ok := line[m[1]]; !ok {
				t.Errorf("%s: a metric filter reads $.%s, which the request line lacks: %v", f, m[1], line)
			}
		}
	}
	// Control: the pattern finder sees a filter's fields.
	if got := jsonPathRE.FindAllStringSubmatch(`{ ($.outcome = "refused") && ($.status >= 400) }`, -1); len(got) != 2 || got[0][1] != "outcome" {
		t.Errorf("control: found %v", got)
	}
}

// TestRequestLineIsOneWrite checks that a request's line reaches the writer
// in one Write call, whole, for an issuing and a refused request.
func TestRequestLineIsOneWrite(t *testing.T) {
	w := &countingWriter{}
	s := newTestServer(t, func(d *Deps) { d.RequestLog = NewRequestLog(w, slog.LevelInfo) })
	s.postJSON("/v1/uploads", `{"fileName":"cat.png","contentType":"image/png","size":5}`)
	s.postJSON("/v1/uploads", `{"fileName":"cat.exe","contentType":"image/png"}`)
	if len(w.writes) != 2 {
		t.Fatalf("%d writes for 2 requests, want 2", len(w.writes))
	}
	for i, p := range w.writes {
		if strings.Count(p, "\n") != 1 || !strings.HasSuffix(p, "}\n") || !json.Valid([]byte(p)) {
			t.Errorf("write %d is not one whole JSON line: %q", i, p)
		}
	}
	var first, second map[string]any
	_ = json.Unmarshal([]byte(w.writes[0]), &first)
	_ = json.Unmarshal([]byte(w.writes[1]), &second)
	if first["msg"] != auth.AuditMessage || first["outcome"] != OutcomeIssued || first["audit"] != true {
		t.Errorf("issuing request: %v", first)
	}
	if second["msg"] != MsgRequest || second["outcome"] != OutcomeRefused || second["code"] != apierr.Invalid {
		t.Errorf("refused request: %v", second)
	}
	if _, ok := second["key"]; ok {
		t.Errorf("a refused request's line has audit fields: %v", second)
	}
}

// TestAuditLineKeptAboveItsLevel: with the log level at warn, ordinary
// request lines are dropped but a line that issued a URL is kept.
func TestAuditLineKeptAboveItsLevel(t *testing.T) {
	w := &countingWriter{}
	s := newTestServer(t, func(d *Deps) { d.RequestLog = NewRequestLog(w, slog.LevelWarn) })
	s.do("GET", "/nope", "", "")
	if len(w.writes) != 0 {
		t.Errorf("a 404 at level warn wrote %q", w.writes)
	}
	s.postJSON("/v1/uploads", `{"fileName":"cat.png","contentType":"image/png","size":5}`)
	if len(w.writes) != 1 || !strings.Contains(w.writes[0], `"msg":"url issued"`) {
		t.Errorf("the audit line was not kept at level warn: %q", w.writes)
	}
}

// countingWriter keeps each Write call's bytes.
type countingWriter struct{ writes []string }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes = append(c.writes, string(p))
	return len(p), nil
}

// TestRequestLineEscapes: request input in a line (the method, a key) is
// escaped, so a line stays one JSON object.
func TestRequestLineEscapes(t *testing.T) {
	w := &countingWriter{}
	s := newTestServer(t, func(d *Deps) { d.RequestLog = NewRequestLog(w, slog.LevelInfo) })
	s.do("GET", "/signed-url-upload?fileName=a%22b%0A%E2%80%A8&extension=png&mediaType=image", "", "")
	if len(w.writes) != 1 {
		t.Fatalf("writes: %q", w.writes)
	}
	sc := bufio.NewScanner(strings.NewReader(w.writes[0]))
	n := 0
	for sc.Scan() {
		n++
		if !json.Valid(sc.Bytes()) {
			t.Errorf("not JSON: %s", sc.Text())
		}
	}
	if n != 1 {
		t.Errorf("%d lines, want 1: %q", n, w.writes[0])
	}
}
