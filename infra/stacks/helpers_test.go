package stacks_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/stacks"
	"github.com/s3presign/s3presign/signer/reporoot"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // one node process per test binary; without this it leaks a temp dir
	os.Exit(code)
}

// synthesized is one environment's synthesized stacks.
type synthesized struct {
	env     config.Environment
	stacks  stacks.Stacks
	storage map[string]any // template JSON
	service map[string]any
	// raw holds the template files exactly as synth wrote them, by stack name.
	raw map[string][]byte
	// missing lists context lookups synth could not answer offline.
	missing []string
	// messages are the annotations (nag findings, warnings) per stack name.
	errors, warnings map[string][]string
	// images are the container image assets in the asset manifests.
	images []imageAsset
}

// imageAsset is one container image asset as the CDK CLI will build it.
type imageAsset struct {
	// Platform and DockerFile are the build's --platform and --file.
	Platform, DockerFile string
	// Files lists the staged build context (what .dockerignore let in),
	// relative and sorted.
	Files []string
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*synthesized{}
)

// cdkContext returns cdk.json's context, as the CLI would pass it.
func cdkContext(t *testing.T) map[string]any {
	t.Helper()
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	return file.Context
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := reporoot.Find()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func signerDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("S3PRESIGN_TEST_SIGNER_DIR"); d != "" {
		return d
	}
	dir, err := reporoot.SignerDir(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// env loads a committed environment from cdk.json.
func loadEnv(t *testing.T, name string) config.Environment {
	t.Helper()
	env, err := config.Load(cdkContext(t)[config.ContextKey], name)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// synthEnv synthesizes a committed environment once per test binary.
func synthEnv(t *testing.T, name string) *synthesized {
	t.Helper()
	if testing.Short() {
		t.Skip("synthesizes CDK stacks through jsii (tens of seconds): skipped under -short (make check); make test and make diff run it")
	}
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if s, ok := cache[name]; ok {
		return s
	}
	s := synth(t, loadEnv(t, name))
	cache[name] = s
	return s
}

// synth builds and synthesizes env's stacks in a fresh app with cdk.json's
// context (feature flags), like `cdk synth` does.
func synth(t *testing.T, env config.Environment) *synthesized {
	t.Helper()
	if testing.Short() {
		t.Skip("synthesizes CDK stacks through jsii (tens of seconds): skipped under -short (make check); make test and make diff run it")
	}
	ctx := cdkContext(t)
	ctx[config.EnvContextKey] = env.Name
	// What the CDK CLI adds to the context on `cdk synth` (cdk.json sets
	// versionReporting false), so the templates here are the CLI's.
	ctx["aws:cdk:enable-path-metadata"] = true
	ctx["aws:cdk:enable-asset-metadata"] = true
	ctx["aws:cdk:version-reporting"] = false
	outdir, err := os.MkdirTemp("", "s3presign-synth-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(outdir)
	defer func() {
		// A failed validation (an unsuppressed cdk-nag error, a CloudFormation
		// rule) makes synth throw; show the report instead of a jsii trace.
		if r := recover(); r != nil {
			report, _ := os.ReadFile(filepath.Join(outdir, "validation-report.json"))
			t.Fatalf("synth of %s failed: %v\n%s", env.Name, firstLine(fmt.Sprint(r)), summarizeReport(report))
		}
	}()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	st := stacks.Build(app, &env, signerDir(t))
	s := &synthesized{env: env, stacks: st, raw: map[string][]byte{}, errors: map[string][]string{}, warnings: map[string][]string{}}
	s.storage = toMap(assertions.Template_FromStack(st.Storage.Stack, nil).ToJSON())
	s.service = toMap(assertions.Template_FromStack(st.Service.Stack, nil).ToJSON())
	for _, stack := range []awscdk.Stack{st.Storage.Stack, st.Service.Stack} {
		b, err := os.ReadFile(filepath.Join(outdir, *stack.TemplateFile()))
		if err != nil {
			t.Fatal(err)
		}
		s.raw[*stack.StackName()] = b
	}
	s.images = imageAssets(t, outdir)
	var manifest struct {
		Missing []struct {
			Key string `json:"key"`
		} `json:"missing"`
	}
	if b, err := os.ReadFile(filepath.Join(outdir, "manifest.json")); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	for _, m := range manifest.Missing {
		s.missing = append(s.missing, m.Key)
	}
	for _, stack := range []awscdk.Stack{st.Storage.Stack, st.Service.Stack} {
		ann := assertions.Annotations_FromStack(stack)
		name := *stack.StackName()
		for _, m := range *ann.FindError(jsii.String("*"), assertions.Match_AnyValue()) {
			s.errors[name] = append(s.errors[name], *m.Id+": "+messageText(m.Entry.Data))
		}
		for _, m := range *ann.FindWarning(jsii.String("*"), assertions.Match_AnyValue()) {
			s.warnings[name] = append(s.warnings[name], *m.Id+": "+messageText(m.Entry.Data))
		}
	}
	return s
}

// imageAssets reads the container image assets from every asset manifest
// in a cloud assembly, with the files of each staged context.
func imageAssets(t *testing.T, outdir string) []imageAsset {
	t.Helper()
	manifests, err := filepath.Glob(filepath.Join(outdir, "*.assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []imageAsset
	for _, path := range manifests {
		var m struct {
			DockerImages map[string]struct {
				Source struct {
					Directory, DockerFile, Platform string
				}
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, img := range m.DockerImages {
			a := imageAsset{Platform: img.Source.Platform, DockerFile: img.Source.DockerFile}
			root := filepath.Join(outdir, img.Source.Directory)
			err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, err := filepath.Rel(root, p)
				a.Files = append(a.Files, filepath.ToSlash(rel))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, a)
		}
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// summarizeReport lists the rule, resource and message of each violation in
// a policy validation report, one per line.
func summarizeReport(report []byte) string {
	var r struct {
		PluginReports []struct {
			Summary struct {
				PluginName string `json:"pluginName"`
			} `json:"summary"`
			Violations []struct {
				RuleName           string `json:"ruleName"`
				Description        string `json:"description"`
				ViolatingResources []struct {
					ResourceLogicalID string `json:"resourceLogicalId"`
					TemplatePath      string `json:"templatePath"`
				} `json:"violatingResources"`
				ViolatingConstructs []struct {
					ConstructPath string `json:"constructPath"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if err := json.Unmarshal(report, &r); err != nil {
		return string(report)
	}
	var b strings.Builder
	for _, p := range r.PluginReports {
		for _, v := range p.Violations {
			var where []string
			for _, res := range v.ViolatingResources {
				where = append(where, res.ResourceLogicalID)
			}
			for _, c := range v.ViolatingConstructs {
				where = append(where, c.ConstructPath)
			}
			desc := v.Description
			if len(desc) > 160 {
				desc = desc[:160] + "..."
			}
			fmt.Fprintf(&b, "  [%s] %s at %v: %s\n", p.Summary.PluginName, v.RuleName, where, desc)
		}
	}
	return b.String()
}

func messageText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if p, ok := v.(*string); ok && p != nil {
		return *p
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func toMap(m *map[string]any) map[string]any {
	// A JSON round trip gives plain Go values (no jsii pointers).
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// resources returns the template's resources of a type, by logical id.
func resources(tmpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	res, _ := tmpl["Resources"].(map[string]any)
	for id, r := range res {
		rm := r.(map[string]any)
		if rm["Type"] == typ {
			out[id] = rm
		}
	}
	return out
}

// only returns the single resource of a type, failing otherwise.
func only(t *testing.T, tmpl map[string]any, typ string) (string, map[string]any) {
	t.Helper()
	rs := resources(tmpl, typ)
	if len(rs) != 1 {
		t.Fatalf("got %d %s resources, want 1", len(rs), typ)
	}
	for id, r := range rs {
		return id, r
	}
	return "", nil
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// js renders a value as compact JSON for comparisons and messages.
func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// variant synthesizes dev changed to every non-default choice at once:
// signing user, OIDC, KMS, two referers, two exempt principals, and an
// upload prefix with characters that regular expressions treat specially.
func variant(t *testing.T) *synthesized {
	t.Helper()
	return synthCached(t, "variant", func(e *config.Environment) {
		e.Name = "qa"
		e.AllowedReferers = []string{"https://a.example.com/*", "https://b.example.com/gallery/*"}
		e.ExemptPrincipalArns = []string{"arn:aws:iam::123456789012:role/backup", "arn:aws:iam::123456789012:role/thumbnailer-*"}
		e.Signing = config.SigningUser
		e.AuthMode = config.AuthOIDC
		e.OIDCIssuer = "https://idp.example.com"
		e.OIDCAudience = "s3presign"
		e.Encryption = config.EncryptionKMS
		e.UploadPrefix = "user-files.v2/"
		e.CPUArchitecture = config.ArchARM64
	})
}

// bareVariant synthesizes dev with no origins and no referers.
func bareVariant(t *testing.T) *synthesized {
	t.Helper()
	return synthCached(t, "bare", func(e *config.Environment) {
		e.Name = "bare"
		e.AllowedOrigins = nil
		e.AllowedReferers = nil
	})
}

func synthCached(t *testing.T, key string, change func(*config.Environment)) *synthesized {
	t.Helper()
	if testing.Short() {
		t.Skip("synthesizes CDK stacks through jsii (tens of seconds): skipped under -short (make check); make test and make diff run it")
	}
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if s, ok := cache[key]; ok {
		return s
	}
	env := loadEnv(t, "dev")
	change(&env)
	s := synth(t, env)
	cache[key] = s
	return s
}
