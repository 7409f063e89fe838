package changeguard

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const (
	storage = "s3presign-dev-storage"
	service = "s3presign-dev-service"
)

// loadFixture loads a directory of templates under testdata.
func loadFixture(t *testing.T, dir string) Stacks {
	t.Helper()
	s, err := Load(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return s
}

// blocking lists the blocking changes as "action stack/id".
func blocking(r Report) []string {
	var out []string
	for _, c := range r.Blocking() {
		out = append(out, string(c.Action)+" "+c.Resource())
	}
	return out
}

// find returns the change for stack/id, if any.
func find(r Report, resource string) (Change, bool) {
	for _, c := range r.Changes {
		if c.Resource() == resource {
			return c, true
		}
	}
	return Change{}, false
}

func TestCompareFixtures(t *testing.T) {
	base := loadFixture(t, "baseline")
	tests := []struct {
		name         string
		dir          string
		wantBlocking []string
		// wantAlso are non-blocking changes that must be reported, as
		// "action stack/id".
		wantAlso []string
	}{
		{
			name:         "control: same templates, nothing to report",
			dir:          "baseline",
			wantBlocking: nil,
		},
		{
			name:         "only the service changed: OK",
			dir:          "service-only",
			wantBlocking: nil,
			wantAlso:     []string{"update " + service + "/TaskDef54694570", "update " + service + "/Service9571FDD8"},
		},
		{
			name:         "the bucket's logical ID changed: flagged as a removal",
			dir:          "bucket-id-changed",
			wantBlocking: []string{"remove " + storage + "/UploadsBucket5B5DFA2A"},
			wantAlso:     []string{"add " + storage + "/UploadsBucketA1B2C3D4", "replace " + storage + "/UploadsBucketPolicy8E5B2C31"},
		},
		{
			name:         "a replacement-causing property (BucketName) changed: flagged",
			dir:          "bucket-name-set",
			wantBlocking: []string{"replace " + storage + "/UploadsBucket5B5DFA2A"},
			// The policy's create-only Bucket property refers to the new bucket.
			wantAlso: []string{"replace " + storage + "/UploadsBucketPolicy8E5B2C31"},
		},
		{
			name:         "the log bucket was removed: flagged",
			dir:          "log-bucket-removed",
			wantBlocking: []string{"remove " + storage + "/LogBucketCC3B17E8"},
			wantAlso:     []string{"update " + storage + "/UploadsBucket5B5DFA2A"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Compare(base, loadFixture(t, tt.dir))
			if got := blocking(r); !reflect.DeepEqual(got, tt.wantBlocking) {
				t.Errorf("blocking = %q, want %q", got, tt.wantBlocking)
			}
			for _, want := range tt.wantAlso {
				action, res, _ := strings.Cut(want, " ")
				c, ok := find(r, res)
				if !ok || string(c.Action) != action || c.Blocking() {
					t.Errorf("want non-blocking %q; got %+v (found %v)", want, c, ok)
				}
			}
			if tt.dir == "baseline" && len(r.Changes) != 0 {
				t.Errorf("identical templates: got %d changes, want 0: %+v", len(r.Changes), r.Changes)
			}
		})
	}
}

func TestRenameIsExplained(t *testing.T) {
	r := Compare(loadFixture(t, "baseline"), loadFixture(t, "bucket-id-changed"))
	c, _ := find(r, storage+"/UploadsBucket5B5DFA2A")
	notes := strings.Join(c.Notes, "\n")
	for _, want := range []string{"DeletionPolicy Retain", "UploadsBucketA1B2C3D4"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q do not mention %q", notes, want)
		}
	}
}

// mutate copies the baseline fixture and applies f to it.
func mutate(t *testing.T, f func(s Stacks)) Stacks {
	t.Helper()
	data, err := json.Marshal(loadFixture(t, "baseline"))
	if err != nil {
		t.Fatal(err)
	}
	var s Stacks
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	f(s)
	return s
}

func setProp(s Stacks, stack, id, prop string, v any) {
	r := s[stack].Resources[id]
	if r.Properties == nil {
		r.Properties = map[string]any{}
	}
	if v == nil {
		delete(r.Properties, prop)
	} else {
		r.Properties[prop] = v
	}
	s[stack].Resources[id] = r
}

func TestCompareRules(t *testing.T) {
	const (
		bucket = "UploadsBucket5B5DFA2A"
		key    = "UploadsKeyD2C5A7F3"
		secret = "SignerKeySecret4C8A1D2B"
		user   = "SignerUser0A1B2C3D"
	)
	tests := []struct {
		name         string
		change       func(s Stacks)
		wantBlocking []string
		// wantAction is the action expected for resource wantFor.
		wantFor    string
		wantAction Action
	}{
		{
			name: "control: an in-place bucket update (versioning) is not blocking",
			change: func(s Stacks) {
				setProp(s, storage, bucket, "VersioningConfiguration", map[string]any{"Status": "Suspended"})
			},
			wantFor:    storage + "/" + bucket,
			wantAction: Update,
		},
		{
			name: "a changed asset hash alone is an asset-only update",
			change: func(s Stacks) {
				r := s[service].Resources["TaskDef54694570"]
				b, _ := json.Marshal(r.Properties)
				nb := strings.ReplaceAll(string(b), "3f1c5e1d6f0b8a7c9e2d4b6a8c0e1f3a5b7d9c1e3f5a7b9d1c3e5f7a9b1d3c5e", strings.Repeat("ab", 32))
				var p map[string]any
				_ = json.Unmarshal([]byte(nb), &p)
				r.Properties = p
				s[service].Resources["TaskDef54694570"] = r
			},
			wantFor:    service + "/TaskDef54694570",
			wantAction: Update,
		},
		{
			name:         "ObjectLockEnabled added: bucket replaced",
			change:       func(s Stacks) { setProp(s, storage, bucket, "ObjectLockEnabled", true) },
			wantBlocking: []string{"replace " + storage + "/" + bucket},
		},
		{
			name: "the bucket's type changed: replaced",
			change: func(s Stacks) {
				r := s[storage].Resources[bucket]
				r.Type = "AWS::S3Express::DirectoryBucket"
				s[storage].Resources[bucket] = r
			},
			wantBlocking: []string{"replace " + storage + "/" + bucket},
		},
		{
			name:         "KMS key KeySpec changed: the update fails, blocking",
			change:       func(s Stacks) { setProp(s, storage, key, "KeySpec", "RSA_2048") },
			wantBlocking: []string{"update fails " + storage + "/" + key},
		},
		{
			name:       "control: KMS key rotation switched off is an in-place update",
			change:     func(s Stacks) { setProp(s, storage, key, "EnableKeyRotation", false) },
			wantFor:    storage + "/" + key,
			wantAction: Update,
		},
		{
			name:         "secret Name set: secret replaced",
			change:       func(s Stacks) { setProp(s, storage, secret, "Name", "s3presign/dev/signer") },
			wantBlocking: []string{"replace " + storage + "/" + secret},
		},
		{
			name:       "control: secret description changed is an in-place update",
			change:     func(s Stacks) { setProp(s, storage, secret, "Description", "another description") },
			wantFor:    storage + "/" + secret,
			wantAction: Update,
		},
		{
			name:       "IAM user renamed: replaced, and its access key with it, not blocking",
			change:     func(s Stacks) { setProp(s, storage, user, "UserName", "s3presign-dev-signer") },
			wantFor:    storage + "/SignerAccessKey1F2E3D4C",
			wantAction: Replace,
		},
		{
			name:       "log group renamed: replaced, not blocking",
			change:     func(s Stacks) { setProp(s, service, "ServiceLogGroup7A3C2B1D", "LogGroupName", "/s3presign/dev") },
			wantFor:    service + "/ServiceLogGroup7A3C2B1D",
			wantAction: Replace,
		},
		{
			name: "the storage stack left the app: its buckets, key and secret are removed",
			change: func(s Stacks) {
				delete(s, storage)
			},
			wantBlocking: []string{
				"remove " + storage + "/LogBucketCC3B17E8",
				"remove " + storage + "/" + key,
				"remove " + storage + "/" + secret,
				"remove " + storage + "/" + bucket,
			},
		},
		{
			name: "CDK metadata coming and going is ignored",
			change: func(s Stacks) {
				s[storage].Resources["CDKMetadata"] = Resource{Type: "AWS::CDK::Metadata", Properties: map[string]any{"Analytics": "v2:deflate64:abc"}}
				delete(s[service].Resources, "ClusterEB0386A7")
				s[service].Resources["ClusterEB0386A7"] = Resource{Type: "AWS::ECS::Cluster"}
			},
			wantFor:    storage + "/CDKMetadata",
			wantAction: "",
		},
		{
			name: "control: a new stack only adds",
			change: func(s Stacks) {
				s["s3presign-dev-extra"] = Template{Resources: map[string]Resource{"Topic": {Type: "AWS::SNS::Topic"}}}
			},
			wantFor:    "s3presign-dev-extra/Topic",
			wantAction: Add,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Compare(loadFixture(t, "baseline"), mutate(t, tt.change))
			got := blocking(r)
			slices.Sort(got)
			want := slices.Clone(tt.wantBlocking)
			slices.Sort(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("blocking = %q, want %q", got, want)
			}
			if tt.wantFor != "" {
				c, ok := find(r, tt.wantFor)
				if tt.wantAction == "" {
					if ok {
						t.Errorf("%s: got %+v, want no change reported", tt.wantFor, c)
					}
				} else if !ok || c.Action != tt.wantAction {
					t.Errorf("%s: got %+v (found %v), want action %q", tt.wantFor, c, ok, tt.wantAction)
				}
			}
		})
	}
}

func TestAssetOnlyUpdateIsMarked(t *testing.T) {
	s := mutate(t, func(s Stacks) {
		r := s[service].Resources["TaskDef54694570"]
		b, _ := json.Marshal(r.Properties)
		nb := strings.ReplaceAll(string(b), "3f1c5e1d6f0b8a7c9e2d4b6a8c0e1f3a5b7d9c1e3f5a7b9d1c3e5f7a9b1d3c5e", strings.Repeat("cd", 32))
		var p map[string]any
		_ = json.Unmarshal([]byte(nb), &p)
		r.Properties = p
		s[service].Resources["TaskDef54694570"] = r
	})
	c, ok := find(Compare(loadFixture(t, "baseline"), s), service+"/TaskDef54694570")
	if !ok || !c.AssetOnly {
		t.Errorf("got %+v (found %v), want an asset-only update", c, ok)
	}
}

func TestWeakenedDeletionPolicyIsNoted(t *testing.T) {
	s := mutate(t, func(s Stacks) {
		r := s[storage].Resources["UploadsBucket5B5DFA2A"]
		r.DeletionPolicy = ""
		s[storage].Resources["UploadsBucket5B5DFA2A"] = r
	})
	c, ok := find(Compare(loadFixture(t, "baseline"), s), storage+"/UploadsBucket5B5DFA2A")
	if !ok || c.Blocking() || !strings.Contains(strings.Join(c.Notes, " "), "DeletionPolicy weakens from Retain to Delete") {
		t.Errorf("got %+v (found %v), want a non-blocking update noting the weaker DeletionPolicy", c, ok)
	}
}

func TestReferences(t *testing.T) {
	tests := []struct {
		name string
		v    string
		want []string
	}{
		{"Ref", `{"Ref":"A"}`, []string{"A"}},
		{"GetAtt list", `{"Fn::GetAtt":["B","Arn"]}`, []string{"B"}},
		{"GetAtt string", `{"Fn::GetAtt":"C.Arn"}`, []string{"C"}},
		{"Sub with resource and pseudo parameter", `{"Fn::Sub":"${D}-${AWS::Region}-${E.Arn}-${!Literal}"}`, []string{"D", "AWS::Region", "E"}},
		{"Sub with variable map", `{"Fn::Sub":["${X}",{"X":{"Ref":"F"}}]}`, []string{"F", "X"}},
		{"nested in Join", `{"Fn::Join":["",[{"Ref":"G"},"x"]]}`, []string{"G"}},
		{"control: a plain string", `"H"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tt.v), &v); err != nil {
				t.Fatal(err)
			}
			if got := references(v); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("references(%s) = %q, want %q", tt.v, got, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Run("cloud assembly: stacks from the manifest, keyed by artifact ID", func(t *testing.T) {
		s, err := Load("testdata/assembly")
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range s {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"Service", storage}; !reflect.DeepEqual(keys, want) {
			t.Errorf("stacks = %q, want %q (the stale template must be ignored)", keys, want)
		}
	})
	t.Run("list stacks gives artifact IDs and stack names", func(t *testing.T) {
		got, err := ListStacks("testdata/assembly")
		if err != nil {
			t.Fatal(err)
		}
		want := []StackArtifact{
			{ID: "Service", StackName: "s3presign-dev-service", TemplateFile: "Service.template.json", Account: "111111111111", Region: "eu-west-1"},
			{ID: storage, StackName: storage, TemplateFile: storage + ".template.json"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ListStacks = %+v, want %+v", got, want)
		}
	})
	t.Run("one file", func(t *testing.T) {
		s, err := Load("testdata/baseline/" + storage + ".template.json")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s[storage]; !ok || len(s) != 1 {
			t.Errorf("got stacks %v, want only %s", s, storage)
		}
	})
	t.Run("a template wrapped in a JSON string", func(t *testing.T) {
		tpl, err := ParseTemplate([]byte(`"{\"Resources\":{\"B\":{\"Type\":\"AWS::S3::Bucket\"}}}"`))
		if err != nil || tpl.Resources["B"].Type != "AWS::S3::Bucket" {
			t.Errorf("ParseTemplate = %+v, %v; want bucket B", tpl, err)
		}
	})
	bad := []struct{ name, content, want string }{
		{"not JSON", "{", "decode template"},
		{"a resource without Type", `{"Resources":{"X":{"Properties":{}}}}`, "resource X has no Type"},
	}
	for _, tt := range bad {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "bad.template.json")
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("rejects a missing path", func(t *testing.T) {
		if _, err := Load("testdata/does-not-exist"); err == nil {
			t.Error("Load of a missing path succeeded")
		}
	})
}

func TestRender(t *testing.T) {
	blockingReport := Compare(loadFixture(t, "baseline"), loadFixture(t, "bucket-name-set"))
	okReport := Compare(loadFixture(t, "baseline"), loadFixture(t, "service-only"))
	tests := []struct {
		name     string
		report   Report
		opts     RenderOptions
		markdown bool
		want     []string
		wantNot  []string
	}{
		{
			name: "markdown, blocking", report: blockingReport, markdown: true,
			opts: RenderOptions{Title: "dev"},
			want: []string{"#### ❌ changeguard · dev: 1 stateful resource would be replaced or removed",
				"| 🛑 | **replace** | `" + storage + "/UploadsBucket5B5DFA2A` | `AWS::S3::Bucket` | BucketName changes: (not set) → \"s3presign-dev-uploads\"",
				"add the label that allows it"},
		},
		{
			name: "markdown, blocking but allowed by the label", report: blockingReport, markdown: true,
			opts:    RenderOptions{Title: "dev", Allowed: true, AllowedBy: "label allow-stateful-change"},
			want:    []string{"#### ⚠️ changeguard · dev: 1 stateful resource would be replaced or removed — allowed by label allow-stateful-change", "| ⚠️ | **replace** |"},
			wantNot: []string{"🛑", "add the label"},
		},
		{
			name: "markdown, nothing stateful", report: okReport, markdown: true,
			want:    []string{"#### ✅ changeguard: no stateful resource would be replaced or removed", "<details><summary>2 updated in place</summary>"},
			wantNot: []string{"| |"},
		},
		{
			name: "text, blocking", report: blockingReport,
			want: []string{"changeguard: 1 stateful resource would be replaced or removed", "BLOCK replace      " + storage + "/UploadsBucket5B5DFA2A (AWS::S3::Bucket)", "Stateful types: AWS::KMS::Key, AWS::S3::Bucket, AWS::SQS::Queue, AWS::SecretsManager::Secret."},
		},
		{
			name: "text, nothing stateful", report: okReport,
			want:    []string{"changeguard: no stateful resource would be replaced or removed", "Also: 2 updated in place."},
			wantNot: []string{"BLOCK"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			var err error
			if tt.markdown {
				err = tt.report.WriteMarkdown(&b, tt.opts)
			} else {
				err = tt.report.WriteText(&b, tt.opts)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(b.String(), w) {
					t.Errorf("output contains %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestMarkdownCapsTheQuietList(t *testing.T) {
	var r Report
	for i := range 45 {
		r.Changes = append(r.Changes, Change{Stack: "s", LogicalID: fmt.Sprintf("R%02d", i), Type: "AWS::SNS::Topic", Action: Add})
	}
	var b strings.Builder
	if err := r.WriteMarkdown(&b, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(b.String(), "- add "); got != 40 {
		t.Errorf("listed %d additions, want 40", got)
	}
	if !strings.Contains(b.String(), "- … and 5 more") || !strings.Contains(b.String(), "<summary>45 added</summary>") {
		t.Errorf("output:\n%s", b.String())
	}
}

func TestMarkdownEscapesTableCells(t *testing.T) {
	r := Report{Changes: []Change{{Stack: "s", LogicalID: "A|B", Type: "AWS::S3::Bucket", Action: Remove, Stateful: true,
		Reasons: []string{"x | y <script>"}}}}
	var b strings.Builder
	if err := r.WriteMarkdown(&b, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`s/A\\|B`", "x \\| y &lt;script&gt;"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}
