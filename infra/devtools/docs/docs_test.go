package docs

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	sconfig "github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/reporoot"
)

func root(t *testing.T) string {
	t.Helper()
	r, err := reporoot.Find()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// envConstants returns the values of the exported Env* string constants
// declared in signer/config (its settings' names).
func envConstants(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !n.IsExported() || !strings.HasPrefix(n.Name, "Env") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out = append(out, v)
					}
				}
			}
		}
	}
	return out
}

// Every setting the signer reads is in signer/README.md's settings, named
// as code (`S3PRESIGN_…`).
func TestEverySignerSettingIsDocumented(t *testing.T) {
	r := root(t)
	names := envConstants(t, filepath.Join(r, "signer", "config"))
	if len(names) < 30 {
		t.Fatalf("found %d Env* constants in signer/config, want the full list (did they move?)", len(names))
	}
	names = append(names, sconfig.Vars()...)
	doc := read(t, filepath.Join(r, "signer", "README.md"))
	for _, n := range uniq(names) {
		if !strings.Contains(doc, "`"+n+"`") {
			t.Errorf("signer/README.md does not document the setting `%s`", n)
		}
	}
}

// Every key of cdk.json's context (bar CDK feature flags and comments), of
// each environment and of the github object is in infra/README.md, named as
// code.
func TestEveryCDKJSONKeyIsDocumented(t *testing.T) {
	r := root(t)
	var file struct {
		Context map[string]json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal([]byte(read(t, filepath.Join(r, "cdk.json"))), &file); err != nil {
		t.Fatal(err)
	}
	keys := contextKeys(t, file.Context)
	if len(keys) < 40 {
		t.Fatalf("found %d cdk.json keys, want every environment setting", len(keys))
	}
	doc := read(t, filepath.Join(r, "infra", "README.md"))
	for _, k := range keys {
		if !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("infra/README.md does not document the cdk.json key `%s`", k)
		}
	}
}

// contextKeys lists the context's own keys, each environment's keys and the
// github object's keys, without "//" comments and CDK feature flags
// ("@aws-cdk/…:…", documented by AWS).
func contextKeys(t *testing.T, ctx map[string]json.RawMessage) []string {
	t.Helper()
	var keys []string
	skip := func(k string) bool { return k == "//" || strings.Contains(k, ":") }
	for k, v := range ctx {
		if skip(k) {
			continue
		}
		keys = append(keys, k)
		var obj map[string]json.RawMessage
		if json.Unmarshal(v, &obj) != nil {
			continue
		}
		for k2, v2 := range obj {
			if skip(k2) {
				continue
			}
			var env map[string]json.RawMessage
			if k == "environments" && json.Unmarshal(v2, &env) == nil {
				for k3 := range env {
					if !skip(k3) {
						keys = append(keys, k3)
					}
				}
				continue
			}
			if k != "environments" {
				keys = append(keys, k2)
			}
		}
	}
	return uniq(keys)
}

// documentedTarget matches a Makefile target with a `## description`, the
// ones `make help` lists.
var documentedTarget = regexp.MustCompile(`(?m)^([a-zA-Z0-9_-]+):[^=\n]*## `)

// Every target `make help` lists is in README.md's make-target list, and
// every target that list names exists.
func TestMakeTargetListIsComplete(t *testing.T) {
	r := root(t)
	var targets []string
	for _, m := range documentedTarget.FindAllStringSubmatch(read(t, filepath.Join(r, "Makefile")), -1) {
		targets = append(targets, m[1])
	}
	if len(targets) < 20 {
		t.Fatalf("found %d documented targets in the Makefile, want them all", len(targets))
	}
	list := section(read(t, filepath.Join(r, "README.md")), "## Make targets")
	if list == "" {
		t.Fatal("README.md has no \"## Make targets\" section")
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("`make ([a-zA-Z0-9_-]+)").FindAllStringSubmatch(list, -1) {
		listed[m[1]] = true
	}
	for _, tg := range targets {
		if !listed[tg] {
			t.Errorf("README.md's make-target list lacks `make %s`", tg)
		}
	}
	for tg := range listed {
		if !slices.Contains(targets, tg) {
			t.Errorf("README.md lists `make %s`, which the Makefile does not document (## …)", tg)
		}
	}
}

// section returns the text under heading up to the next heading of the same
// or a higher level.
func section(doc, heading string) string {
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		return ""
	}
	rest := doc[i+len(heading)+2:]
	level := strings.Repeat("#", strings.Count(strings.Fields(heading)[0], "#"))
	for _, l := range []string{"\n" + level + " ", "\n# "} {
		if j := strings.Index(rest, l); j >= 0 {
			rest = rest[:j]
		}
	}
	return rest
}

// Every relative link and image in every README points at a file that
// exists, and every #anchor at a heading of that file.
func TestReadmeLinksResolve(t *testing.T) {
	r := root(t)
	out, err := exec.Command("git", "-C", r, "ls-files", "--cached", "--others", "--exclude-standard", "*README.md").Output()
	if err != nil {
		t.Fatal(err)
	}
	readmes := strings.Fields(string(out))
	if len(readmes) < 3 {
		t.Fatalf("found READMEs %v, want at least README.md, signer/README.md and infra/README.md", readmes)
	}
	checked := 0
	for _, rel := range readmes {
		path := filepath.Join(r, rel)
		for _, link := range links(read(t, path)) {
			checked++
			if err := resolve(path, link); err != "" {
				t.Errorf("%s: link %q: %s", rel, link, err)
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked %d links, want the READMEs' links found", checked)
	}
}

// TestLinkCheckerCatchesBrokenLinks is the control of the link check: a
// missing file and a missing anchor are reported; a good link is not.
func TestLinkCheckerCatchesBrokenLinks(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "README.md")
	if err := os.WriteFile(a, []byte("# Top\n\n## Upload modes: PUT, POST or `multipart`\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, want := range map[string]bool{
		"#upload-modes-put-post-or-multipart": true,
		"README.md#top":                       true,
		"#no-such-heading":                    false,
		"missing.md":                          false,
		"README.md#nope":                      false,
	} {
		if ok := resolve(a, link) == ""; ok != want {
			t.Errorf("link %q: resolves %v, want %v", link, ok, want)
		}
	}
}

var (
	fence    = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```")
	inline   = regexp.MustCompile("`[^`\n]*`")
	linkExpr = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
)

// links returns the relative link targets in a markdown document, outside
// code.
func links(doc string) []string {
	doc = fence.ReplaceAllString(doc, "")
	doc = inline.ReplaceAllString(doc, "")
	var out []string
	for _, m := range linkExpr.FindAllStringSubmatch(doc, -1) {
		l := m[1]
		if strings.Contains(l, "://") || strings.HasPrefix(l, "mailto:") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// resolve checks one link of the markdown file from; "" means it resolves.
func resolve(from, link string) string {
	file, anchor, _ := strings.Cut(link, "#")
	target := from
	if file != "" {
		target = filepath.Join(filepath.Dir(from), file)
		if _, err := os.Stat(target); err != nil {
			return "no such file " + file
		}
	}
	if anchor == "" {
		return ""
	}
	b, err := os.ReadFile(target)
	if err != nil {
		return err.Error()
	}
	if !slices.Contains(anchors(string(b)), anchor) {
		return "no heading with anchor #" + anchor
	}
	return ""
}

// anchors returns the anchors GitHub gives a document's headings: lower
// case, punctuation dropped, spaces as hyphens, repeats suffixed -1, -2, ….
func anchors(doc string) []string {
	doc = fence.ReplaceAllString(doc, "")
	seen := map[string]int{}
	var out []string
	for _, line := range strings.Split(doc, "\n") {
		t := strings.TrimLeft(line, "#")
		if len(t) == len(line) || !strings.HasPrefix(t, " ") || len(line)-len(t) > 6 {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(t)) {
			switch {
			case unicode.IsLetter(r) || unicode.IsNumber(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteByte('-')
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			out = append(out, a+"-"+strconv.Itoa(n))
		} else {
			out = append(out, a)
		}
		seen[a]++
	}
	return out
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// The five-minute tour is one ```sh tour block in README.md that bash can
// parse (infra/devtools/local's TestReadmeTourRuns runs it against a local stack).
func TestReadmeTourParses(t *testing.T) {
	doc := read(t, filepath.Join(root(t), "README.md"))
	const open = "```sh tour\n"
	if n := strings.Count(doc, open); n != 1 {
		t.Fatalf("README.md has %d tour blocks, want one", n)
	}
	block := doc[strings.Index(doc, open)+len(open):]
	block = block[:strings.Index(block, "\n```\n")+1]
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(block)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bash -n on the tour: %v\n%s", err, out)
	}
	if lines := strings.Count(doc, "\n"); lines > 200 {
		t.Errorf("README.md has %d lines, want at most about 200: details go to signer/README.md or infra/README.md", lines)
	}
}
