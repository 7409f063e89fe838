package changeguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Template is the part of a CloudFormation template that changeguard reads.
type Template struct {
	Resources map[string]Resource `json:"Resources"`
}

// Resource is one entry of a template's Resources section.
type Resource struct {
	Type                string         `json:"Type"`
	Properties          map[string]any `json:"Properties,omitempty"`
	DeletionPolicy      string         `json:"DeletionPolicy,omitempty"`
	UpdateReplacePolicy string         `json:"UpdateReplacePolicy,omitempty"`
	Condition           string         `json:"Condition,omitempty"`
}

// Stacks maps a stack key (the CDK artifact ID, which is also the template
// file name without ".template.json") to its template.
type Stacks map[string]Template

// ParseTemplate decodes a JSON CloudFormation template. It also accepts the
// template as a JSON string holding the JSON document, the form
// `aws cloudformation get-template --query TemplateBody` can print.
func ParseTemplate(data []byte) (Template, error) {
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '"' {
		var inner string
		if err := json.Unmarshal(trimmed, &inner); err != nil {
			return Template{}, fmt.Errorf("decode template: %w", err)
		}
		data = []byte(inner)
	}
	var t Template
	if err := json.Unmarshal(data, &t); err != nil {
		return Template{}, fmt.Errorf("decode template: %w", err)
	}
	if t.Resources == nil {
		t.Resources = map[string]Resource{}
	}
	for id, r := range t.Resources {
		if r.Type == "" {
			return Template{}, fmt.Errorf("resource %s has no Type", id)
		}
	}
	return t, nil
}

// ReadTemplate reads one template file.
func ReadTemplate(path string) (Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Template{}, err
	}
	t, err := ParseTemplate(data)
	if err != nil {
		return Template{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// templateSuffix names the files a directory of templates is made of; the
// CDK writes <artifact-id>.template.json into cdk.out.
const templateSuffix = ".template.json"

// Load reads the stacks at path, which is one of:
//   - a cloud assembly (a directory holding manifest.json, such as cdk.out):
//     every aws:cloudformation:stack artifact it lists, keyed by artifact ID;
//   - a directory of *.template.json files, keyed by file name without the
//     suffix (committed goldens, or deployed templates fetched into a folder);
//   - a single template file, keyed by its file name without the suffix.
func Load(path string) (Stacks, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		t, err := ReadTemplate(path)
		if err != nil {
			return nil, err
		}
		return Stacks{stackKey(path): t}, nil
	}
	if _, err := os.Stat(filepath.Join(path, "manifest.json")); err == nil {
		return loadAssembly(path)
	}
	return loadDir(path)
}

func stackKey(path string) string {
	base := filepath.Base(path)
	if k, ok := strings.CutSuffix(base, templateSuffix); ok {
		return k
	}
	return strings.TrimSuffix(base, filepath.Ext(base))
}

func loadDir(dir string) (Stacks, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	stacks := Stacks{}
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), templateSuffix) {
			continue
		}
		t, err := ReadTemplate(filepath.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		stacks[stackKey(e.Name())] = t
	}
	return stacks, errors.Join(errs...)
}

// StackArtifact is one CloudFormation stack listed in a cloud assembly.
type StackArtifact struct {
	// ID is the artifact ID (cdk.out/<ID>.template.json by default).
	ID string
	// StackName is the name CloudFormation knows the stack by.
	StackName string
	// TemplateFile is relative to the assembly directory.
	TemplateFile string
	// Account and Region come from the artifact's environment
	// (aws://ACCOUNT/REGION); empty when the stack is environment-agnostic.
	Account, Region string
}

// ListStacks returns the CloudFormation stacks of the cloud assembly in dir,
// sorted by artifact ID.
func ListStacks(dir string) ([]StackArtifact, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m struct {
		Artifacts map[string]struct {
			Type        string `json:"type"`
			Environment string `json:"environment"`
			Properties  struct {
				TemplateFile string `json:"templateFile"`
				StackName    string `json:"stackName"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s/manifest.json: %w", dir, err)
	}
	var out []StackArtifact
	for id, a := range m.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		name := a.Properties.StackName
		if name == "" {
			name = id
		}
		account, region := splitEnvironment(a.Environment)
		out = append(out, StackArtifact{ID: id, StackName: name, TemplateFile: a.Properties.TemplateFile, Account: account, Region: region})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func loadAssembly(dir string) (Stacks, error) {
	arts, err := ListStacks(dir)
	if err != nil {
		return nil, err
	}
	stacks := Stacks{}
	var errs []error
	for _, a := range arts {
		if a.TemplateFile == "" || !fs.ValidPath(filepath.ToSlash(a.TemplateFile)) {
			errs = append(errs, fmt.Errorf("stack %s: bad templateFile %q", a.ID, a.TemplateFile))
			continue
		}
		t, err := ReadTemplate(filepath.Join(dir, a.TemplateFile))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		stacks[a.ID] = t
	}
	return stacks, errors.Join(errs...)
}

// splitEnvironment parses aws://ACCOUNT/REGION; the CDK writes
// unknown-account and unknown-region for environment-agnostic stacks.
func splitEnvironment(env string) (account, region string) {
	rest, ok := strings.CutPrefix(env, "aws://")
	if !ok {
		return "", ""
	}
	account, region, _ = strings.Cut(rest, "/")
	if account == "unknown-account" {
		account = ""
	}
	if region == "unknown-region" {
		region = ""
	}
	return account, region
}
