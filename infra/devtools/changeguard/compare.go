package changeguard

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// Action is what a deployment would do to one resource.
type Action string

// The actions changeguard reports, from most to least destructive.
const (
	// Remove: the logical ID is gone, so CloudFormation deletes the resource
	// (or, with DeletionPolicy Retain, orphans it).
	Remove Action = "remove"
	// Replace: CloudFormation creates a new resource and deletes the old one.
	Replace Action = "replace"
	// UpdateFails: the template changes a property CloudFormation refuses to
	// change; the deployment fails and rolls back.
	UpdateFails Action = "update fails"
	// Update: an in-place update.
	Update Action = "update"
	// Add: a new resource.
	Add Action = "add"
)

var actionRank = map[Action]int{Remove: 0, Replace: 1, UpdateFails: 2, Update: 3, Add: 4}

// Change is one resource the deployment would touch.
type Change struct {
	Stack     string
	LogicalID string
	Type      string
	Action    Action
	// Stateful is true for the types in Rules marked Stateful.
	Stateful bool
	// Reasons says why the action happens, one sentence each.
	Reasons []string
	// Notes add context that does not change the action (retained resource,
	// weakened deletion policy, a likely rename).
	Notes []string
	// AssetOnly marks an update in which nothing but CDK asset hashes changed.
	AssetOnly bool
}

// Blocking reports whether the change replaces, removes or fails to update a
// stateful resource.
func (c Change) Blocking() bool {
	return c.Stateful && (c.Action == Remove || c.Action == Replace || c.Action == UpdateFails)
}

// Resource names the resource as stack/logicalID.
func (c Change) Resource() string { return c.Stack + "/" + c.LogicalID }

// Report is the outcome of a comparison.
type Report struct {
	// Changes is sorted: blocking first, then by action, stack and logical ID.
	Changes []Change
}

// Blocking returns the blocking changes.
func (r Report) Blocking() []Change {
	var out []Change
	for _, c := range r.Changes {
		if c.Blocking() {
			out = append(out, c)
		}
	}
	return out
}

// Count returns how many changes have the action.
func (r Report) Count(a Action) int {
	n := 0
	for _, c := range r.Changes {
		if c.Action == a {
			n++
		}
	}
	return n
}

// Compare lists what deploying candidate over baseline would do. A stack only
// in baseline is treated as deleted (every resource removed); a stack only in
// candidate as new.
func Compare(baseline, candidate Stacks) Report {
	names := map[string]bool{}
	for n := range baseline {
		names[n] = true
	}
	for n := range candidate {
		names[n] = true
	}
	var changes []Change
	for n := range names {
		base, inBase := baseline[n]
		cand, inCand := candidate[n]
		stackChanges := compareStack(n, base, cand)
		if inBase && !inCand {
			for i := range stackChanges {
				stackChanges[i].Reasons = append(stackChanges[i].Reasons, "the stack is no longer in the app")
			}
		}
		changes = append(changes, stackChanges...)
	}
	sort.Slice(changes, func(i, j int) bool {
		a, b := changes[i], changes[j]
		if a.Blocking() != b.Blocking() {
			return a.Blocking()
		}
		if actionRank[a.Action] != actionRank[b.Action] {
			return actionRank[a.Action] < actionRank[b.Action]
		}
		if a.Stack != b.Stack {
			return a.Stack < b.Stack
		}
		return a.LogicalID < b.LogicalID
	})
	return Report{Changes: changes}
}

// ignoredTypes are resources that carry no infrastructure: the CDK adds
// AWS::CDK::Metadata (version reporting) when the CLI synthesizes, so it
// comes and goes with how a template was produced.
var ignoredTypes = map[string]bool{"AWS::CDK::Metadata": true}

// withoutIgnored returns t without the ignored resource types.
func withoutIgnored(t Template) Template {
	out := Template{Resources: make(map[string]Resource, len(t.Resources))}
	for id, r := range t.Resources {
		if !ignoredTypes[r.Type] {
			out.Resources[id] = r
		}
	}
	return out
}

func compareStack(stack string, base, cand Template) []Change {
	base, cand = withoutIgnored(base), withoutIgnored(cand)
	byID := map[string]*Change{}
	var order []string
	add := func(c Change) {
		c.Stack = stack
		c.Stateful = c.Stateful || isStateful(c.Type)
		byID[c.LogicalID] = &c
		order = append(order, c.LogicalID)
	}

	// Resources added, per type, to hint at renames.
	addedByType := map[string][]string{}
	for id, r := range cand.Resources {
		if _, ok := base.Resources[id]; !ok {
			addedByType[r.Type] = append(addedByType[r.Type], id)
		}
	}
	for _, ids := range addedByType {
		sort.Strings(ids)
	}

	for _, id := range sortedIDs(base.Resources) {
		old := base.Resources[id]
		cur, ok := cand.Resources[id]
		if !ok {
			c := Change{LogicalID: id, Type: old.Type, Action: Remove,
				Reasons: []string{"the logical ID is no longer in the template"}}
			if retains(old.DeletionPolicy) {
				c.Notes = append(c.Notes, fmt.Sprintf("DeletionPolicy %s: CloudFormation keeps the old resource but no longer manages it", old.DeletionPolicy))
			}
			if same := addedByType[old.Type]; len(same) > 0 {
				c.Notes = append(c.Notes, fmt.Sprintf("new %s in the same stack: %s; a changed logical ID creates a new, empty resource", old.Type, strings.Join(same, ", ")))
			}
			add(c)
			continue
		}
		if c, changed := compareResource(id, old, cur); changed {
			add(c)
		}
	}
	for _, id := range sortedIDs(cand.Resources) {
		if _, ok := base.Resources[id]; !ok {
			add(Change{LogicalID: id, Type: cand.Resources[id].Type, Action: Add})
		}
	}

	propagateReplacements(cand, byID, &order, add)

	out := make([]Change, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out
}

// compareResource compares one resource present on both sides.
func compareResource(id string, old, cur Resource) (Change, bool) {
	c := Change{LogicalID: id, Type: cur.Type}
	if old.Type != cur.Type {
		c.Action = Replace
		c.Reasons = append(c.Reasons, fmt.Sprintf("the type changes from %s to %s", old.Type, cur.Type))
		c.Stateful = isStateful(old.Type) || isStateful(cur.Type)
		if isStateful(old.Type) {
			c.Type = old.Type + " → " + cur.Type
		}
		return c, true
	}
	rule := Rules[cur.Type]
	for _, p := range rule.Replace {
		if differs(old.Properties, cur.Properties, p) {
			c.Action = Replace
			c.Reasons = append(c.Reasons, propertyReason(p, old.Properties, cur.Properties))
		}
	}
	if c.Action == "" {
		for _, p := range rule.Immutable {
			if differs(old.Properties, cur.Properties, p) {
				c.Action = UpdateFails
				c.Reasons = append(c.Reasons, propertyReason(p, old.Properties, cur.Properties)+" (CloudFormation cannot change it)")
			}
		}
	}
	if isStateful(cur.Type) && retains(old.DeletionPolicy) && !retains(cur.DeletionPolicy) {
		c.Notes = append(c.Notes, fmt.Sprintf("DeletionPolicy weakens from %s to %s", old.DeletionPolicy, policyName(cur.DeletionPolicy)))
	}
	if isStateful(cur.Type) && retains(old.UpdateReplacePolicy) && !retains(cur.UpdateReplacePolicy) {
		c.Notes = append(c.Notes, fmt.Sprintf("UpdateReplacePolicy weakens from %s to %s", old.UpdateReplacePolicy, policyName(cur.UpdateReplacePolicy)))
	}
	if c.Action == Replace && retains(cur.UpdateReplacePolicy) {
		c.Notes = append(c.Notes, fmt.Sprintf("UpdateReplacePolicy %s: the old resource is kept, the new one starts empty", cur.UpdateReplacePolicy))
	}
	if c.Action != "" {
		return c, true
	}
	rawEqual := reflect.DeepEqual(old.Properties, cur.Properties)
	normEqual := reflect.DeepEqual(normalize(old.Properties), normalize(cur.Properties))
	policiesEqual := old.DeletionPolicy == cur.DeletionPolicy && old.UpdateReplacePolicy == cur.UpdateReplacePolicy && old.Condition == cur.Condition
	switch {
	case !normEqual || !policiesEqual:
		c.Action = Update
	case !rawEqual:
		c.Action = Update
		c.AssetOnly = true
	}
	return c, c.Action != "" || len(c.Notes) > 0
}

// propagateReplacements marks as replaced every resource whose create-only
// (or immutable) property refers to a resource that is replaced: its value
// changes with the new physical ID.
func propagateReplacements(cand Template, byID map[string]*Change, order *[]string, add func(Change)) {
	// Bounded: each pass marks at least one more resource or stops.
	for pass := 0; pass <= len(cand.Resources); pass++ {
		marked := false
		for _, id := range sortedIDs(cand.Resources) {
			if c, ok := byID[id]; ok && (c.Action == Replace || c.Action == UpdateFails || c.Action == Add) {
				continue
			}
			r := cand.Resources[id]
			rule := Rules[r.Type]
			var reasons []string
			action := Replace
			check := func(props []string, how Action) {
				for _, p := range props {
					v, ok := r.Properties[p]
					if !ok {
						continue
					}
					for _, ref := range references(v) {
						if dep, ok := byID[ref]; ok && dep.Action == Replace {
							reasons = append(reasons, fmt.Sprintf("%s refers to %s, which is replaced", p, ref))
							action = how
						}
					}
				}
			}
			check(rule.Immutable, UpdateFails)
			check(rule.Replace, Replace)
			if len(reasons) == 0 {
				continue
			}
			marked = true
			if c, ok := byID[id]; ok {
				c.Action = action
				c.AssetOnly = false
				c.Reasons = append(c.Reasons, reasons...)
				continue
			}
			add(Change{LogicalID: id, Type: r.Type, Action: action, Reasons: reasons})
		}
		if !marked {
			return
		}
	}
}

// references returns the logical IDs a property value points at through Ref,
// Fn::GetAtt and Fn::Sub.
func references(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 1 {
				if ref, ok := x["Ref"].(string); ok {
					out = append(out, ref)
					return
				}
				if ga, ok := x["Fn::GetAtt"]; ok {
					switch g := ga.(type) {
					case []any:
						if len(g) > 0 {
							if s, ok := g[0].(string); ok {
								out = append(out, s)
							}
						}
					case string:
						out = append(out, strings.SplitN(g, ".", 2)[0])
					}
					return
				}
				if sub, ok := x["Fn::Sub"]; ok {
					s := sub
					if arr, ok := sub.([]any); ok && len(arr) > 0 {
						s = arr[0]
						if len(arr) > 1 {
							walk(arr[1])
						}
					}
					if str, ok := s.(string); ok {
						for _, m := range subVar.FindAllStringSubmatch(str, -1) {
							out = append(out, strings.SplitN(m[1], ".", 2)[0])
						}
					}
					return
				}
			}
			for _, k := range sortedKeys(x) {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

var subVar = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// assetHash matches the SHA-256 hex digests the CDK uses for asset hashes.
var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// normalize replaces CDK asset hashes in every string with a placeholder.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case string:
		return assetHash.ReplaceAllString(x, "<asset-hash>")
	default:
		return v
	}
}

// differs compares one property after asset-hash normalisation; a property
// added or removed counts as a change.
func differs(old, cur map[string]any, p string) bool {
	ov, oOK := old[p]
	cv, cOK := cur[p]
	if oOK != cOK {
		return true
	}
	return !reflect.DeepEqual(normalize(ov), normalize(cv))
}

func propertyReason(p string, old, cur map[string]any) string {
	return fmt.Sprintf("%s changes: %s → %s", p, show(old, p), show(cur, p))
}

// show renders a property value compactly for a reason line.
func show(props map[string]any, p string) string {
	v, ok := props[p]
	if !ok {
		return "(not set)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "(unprintable)"
	}
	s := string(b)
	const max = 80
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}

func retains(policy string) bool {
	return policy == "Retain" || policy == "RetainExceptOnCreate" || policy == "Snapshot"
}

func policyName(p string) string {
	if p == "" {
		return "Delete (default)"
	}
	return p
}

func sortedIDs(m map[string]Resource) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
