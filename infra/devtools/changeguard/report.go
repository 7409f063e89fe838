package changeguard

import (
	"fmt"
	"io"
	"strings"
)

// RenderOptions shape the report text.
type RenderOptions struct {
	// Title names what was compared, e.g. "dev: cdk.out vs deployed".
	Title string
	// Allowed says blocking changes were accepted on purpose (the PR label),
	// so the report reads as a warning instead of a failure.
	Allowed bool
	// AllowedBy explains the acceptance, e.g. "label allow-stateful-change".
	AllowedBy string
}

// headline summarises the report in one sentence.
func (r Report) headline(o RenderOptions) (icon, text string) {
	blocking := len(r.Blocking())
	switch {
	case blocking > 0 && o.Allowed:
		return "⚠️", fmt.Sprintf("%d stateful %s would be replaced or removed — allowed by %s", blocking, plural(blocking, "resource", "resources"), o.AllowedBy)
	case blocking > 0:
		return "❌", fmt.Sprintf("%d stateful %s would be replaced or removed", blocking, plural(blocking, "resource", "resources"))
	case len(r.Changes) == 0:
		return "✅", "no resource changes"
	default:
		return "✅", "no stateful resource would be replaced or removed"
	}
}

// WriteText writes the human-readable report.
func (r Report) WriteText(w io.Writer, o RenderOptions) error {
	var b strings.Builder
	_, head := r.headline(o)
	if o.Title != "" {
		fmt.Fprintf(&b, "changeguard %s: %s\n", o.Title, head)
	} else {
		fmt.Fprintf(&b, "changeguard: %s\n", head)
	}
	for _, c := range r.Changes {
		if c.Action == Add || (c.Action == Update && len(c.Notes) == 0) {
			continue
		}
		mark := "      "
		if c.Blocking() {
			mark = "BLOCK "
		}
		fmt.Fprintf(&b, "%s%-12s %s (%s)\n", mark, c.Action, c.Resource(), c.Type)
		for _, why := range c.Reasons {
			fmt.Fprintf(&b, "        - %s\n", why)
		}
		for _, n := range c.Notes {
			fmt.Fprintf(&b, "        note: %s\n", n)
		}
	}
	if s := r.quietSummary(); s != "" {
		fmt.Fprintf(&b, "%s\n", s)
	}
	if len(r.Blocking()) > 0 && !o.Allowed {
		fmt.Fprintf(&b, "Stateful types: %s. Keep the logical IDs and create-only properties, or accept the loss on purpose.\n", strings.Join(StatefulTypes(), ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// quietSummary counts in-place updates and additions, which the detailed
// list leaves out.
func (r Report) quietSummary() string {
	var updates, assetOnly, adds int
	for _, c := range r.Changes {
		switch {
		case c.Action == Add:
			adds++
		case c.Action == Update && c.AssetOnly:
			assetOnly++
		case c.Action == Update:
			updates++
		}
	}
	var parts []string
	if updates > 0 {
		parts = append(parts, fmt.Sprintf("%d updated in place", updates))
	}
	if assetOnly > 0 {
		parts = append(parts, fmt.Sprintf("%d with only asset hashes changed", assetOnly))
	}
	if adds > 0 {
		parts = append(parts, fmt.Sprintf("%d added", adds))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Also: " + strings.Join(parts, ", ") + "."
}

// WriteMarkdown writes the report as GitHub-flavoured markdown, for a pull
// request comment or a job summary.
func (r Report) WriteMarkdown(w io.Writer, o RenderOptions) error {
	var b strings.Builder
	icon, head := r.headline(o)
	title := "changeguard"
	if o.Title != "" {
		title += " · " + o.Title
	}
	fmt.Fprintf(&b, "#### %s %s: %s\n\n", icon, mdText(title), mdText(head))

	var listed []Change
	for _, c := range r.Changes {
		if c.Action == Remove || c.Action == Replace || c.Action == UpdateFails || len(c.Notes) > 0 {
			listed = append(listed, c)
		}
	}
	if len(listed) > 0 {
		b.WriteString("| | Action | Resource | Type | Why |\n|---|---|---|---|---|\n")
		for _, c := range listed {
			mark := ""
			switch {
			case c.Blocking() && o.Allowed:
				mark = "⚠️"
			case c.Blocking():
				mark = "🛑"
			case c.Stateful:
				mark = "🗄️"
			}
			why := make([]string, 0, len(c.Reasons)+len(c.Notes))
			for _, s := range c.Reasons {
				why = append(why, mdCell(s))
			}
			for _, s := range c.Notes {
				why = append(why, "<i>"+mdCell(s)+"</i>")
			}
			fmt.Fprintf(&b, "| %s | **%s** | `%s` | `%s` | %s |\n", mark, c.Action, mdCode(c.Resource()), mdCode(c.Type), strings.Join(why, "<br>"))
		}
		b.WriteString("\n")
	}

	var quiet []Change
	for _, c := range r.Changes {
		if (c.Action == Update || c.Action == Add) && len(c.Notes) == 0 {
			quiet = append(quiet, c)
		}
	}
	if len(quiet) > 0 {
		fmt.Fprintf(&b, "<details><summary>%s</summary>\n\n", mdText(strings.TrimSuffix(strings.TrimPrefix(r.quietSummary(), "Also: "), ".")))
		const maxQuiet = 40 // keep the comment readable; the job log has the rest
		for i, c := range quiet {
			if i == maxQuiet {
				fmt.Fprintf(&b, "- … and %d more\n", len(quiet)-maxQuiet)
				break
			}
			extra := ""
			if c.AssetOnly {
				extra = " (asset hash only)"
			}
			fmt.Fprintf(&b, "- %s `%s` `%s`%s\n", c.Action, mdCode(c.Resource()), mdCode(c.Type), extra)
		}
		b.WriteString("\n</details>\n\n")
	}
	if len(r.Blocking()) > 0 && !o.Allowed {
		b.WriteString("Replacing or removing a stateful resource (" + mdText(strings.Join(StatefulTypes(), ", ")) +
			") loses or detaches its data. Keep its logical ID and create-only properties, or, if the loss is intended, add the label that allows it and re-run.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mdText escapes characters that GitHub markdown would interpret in plain text.
func mdText(s string) string {
	r := strings.NewReplacer("<", "&lt;", ">", "&gt;", "|", "\\|", "*", "\\*", "_", "\\_", "`", "\\`")
	return r.Replace(s)
}

// mdCell escapes text for a table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(mdText(s), "\n", " ")
}

// mdCode makes text safe inside a `code span` in a table cell.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", "\\|", "\n", " ").Replace(s)
}
