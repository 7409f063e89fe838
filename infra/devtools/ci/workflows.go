// Package ci checks the GitHub Actions workflows in .github/workflows for the
// rules this repository holds them to: every action pinned to a full commit
// SHA with a version comment, permissions declared per job, and the
// workflow-level default set to none.
package ci

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one rule a workflow file breaks.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

var (
	// pinnedRemote is owner/repo[/path]@<40 hex>.
	pinnedRemote = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$`)
	// pinnedDocker is docker://image@sha256:<64 hex>.
	pinnedDocker = regexp.MustCompile(`^docker://[^@\s]+@sha256:[0-9a-f]{64}$`)
	// versionComment is the "# vX.Y.Z" that tells reviewers (and Dependabot
	// or Renovate) which release the SHA is.
	versionComment = regexp.MustCompile(`^#\s*v\d+\.\d+\.\d+\b`)
)

// Check parses one workflow file and returns every rule it breaks.
func Check(file string, data []byte) []Problem {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []Problem{{File: file, Msg: "not valid YAML: " + err.Error()}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return []Problem{{File: file, Msg: "not a workflow: the document is not a mapping"}}
	}
	root := doc.Content[0]
	var out []Problem
	add := func(n *yaml.Node, format string, args ...any) {
		line := 0
		if n != nil {
			line = n.Line
		}
		out = append(out, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
	}

	key, perms := lookup(root, "permissions")
	switch {
	case perms == nil:
		add(root, "no workflow-level permissions: set `permissions: {}` so jobs start with none")
	case perms.Kind != yaml.MappingNode || len(perms.Content) != 0:
		add(key, "workflow-level permissions must be `{}` (grant per job), got %s", render(perms))
	}

	_, jobs := lookup(root, "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		add(root, "no jobs")
		return out
	}
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		name, job := jobs.Content[i], jobs.Content[i+1]
		if job.Kind != yaml.MappingNode {
			add(name, "job %s is not a mapping", name.Value)
			continue
		}
		pk, pv := lookup(job, "permissions")
		switch {
		case pv == nil:
			add(name, "job %s sets no permissions", name.Value)
		case pv.Kind == yaml.ScalarNode:
			add(pk, "job %s: permissions must list scopes, not %q", name.Value, pv.Value)
		}
		if uk, uv := lookup(job, "uses"); uv != nil {
			checkUses(uk, uv, fmt.Sprintf("job %s", name.Value), add)
		}
		_, steps := lookup(job, "steps")
		if steps == nil {
			continue
		}
		for n, step := range steps.Content {
			if uk, uv := lookup(step, "uses"); uv != nil {
				checkUses(uk, uv, fmt.Sprintf("job %s step %d", name.Value, n+1), add)
			}
		}
	}
	return out
}

// checkUses applies the pinning rules to one `uses:` value.
func checkUses(key, val *yaml.Node, where string, add func(*yaml.Node, string, ...any)) {
	ref := val.Value
	switch {
	case strings.HasPrefix(ref, "./"):
		return // a workflow or action in this repository, pinned by the commit itself
	case strings.HasPrefix(ref, "docker://"):
		if !pinnedDocker.MatchString(ref) {
			add(key, "%s: %s is not pinned to a sha256 digest", where, ref)
		}
		return
	case !pinnedRemote.MatchString(ref):
		add(key, "%s: %s is not pinned to a full 40-character commit SHA", where, ref)
		return
	}
	if !versionComment.MatchString(strings.TrimSpace(val.LineComment)) {
		add(key, "%s: %s has no `# vX.Y.Z` comment naming the release it pins", where, ref)
	}
}

// lookup returns the key and value nodes of a mapping entry, or nils.
func lookup(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func render(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%q", n.Value)
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
