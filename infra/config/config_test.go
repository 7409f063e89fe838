package config_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/infra/config"
)

// repoFile returns a path relative to the repository root, whatever the cwd.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller failed")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", rel)
}

// envsJSON builds an environments object with one environment "name" whose
// settings are a valid baseline overridden by the given keys.
func envsJSON(t *testing.T, name string, override map[string]any) json.RawMessage {
	t.Helper()
	base := map[string]any{
		"allowedOrigins":  []string{"https://app.example.com"},
		"allowedReferers": []string{"https://app.example.com/*"},
		"authMode":        "apikey",
	}
	for k, v := range override {
		if v == nil {
			delete(base, k)
			continue
		}
		base[k] = v
	}
	b, err := json.Marshal(map[string]any{name: base, "other": map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCommittedCDKJSONIsValidForEveryEnvironment(t *testing.T) {
	data, err := os.ReadFile(repoFile(t, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"dev", "staging", "prod"} {
		env, err := config.LoadCDKJSON(data, name)
		if err != nil {
			t.Fatalf("LoadCDKJSON(%s): %v", name, err)
		}
		if env.Name != name {
			t.Errorf("Name = %q, want %q", env.Name, name)
		}
	}
	prod, _ := config.LoadCDKJSON(data, "prod")
	if prod.AuthMode == config.AuthNone || prod.RemovalPolicy != config.RemovalRetain || !prod.HTTPS() {
		t.Errorf("prod: authMode %q removalPolicy %q https %v; want not none, retain, https", prod.AuthMode, prod.RemovalPolicy, prod.HTTPS())
	}
	dev, _ := config.LoadCDKJSON(data, "dev")
	if dev.AuthMode != config.AuthNone || dev.NatGateways != 0 {
		t.Errorf("dev: authMode %q natGateways %d; want none and 0 (cheap)", dev.AuthMode, dev.NatGateways)
	}
}

func TestCommittedCDKJSONSetsEveryKeyExplicitly(t *testing.T) {
	data, err := os.ReadFile(repoFile(t, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Context struct {
			Environments map[string]map[string]json.RawMessage `json:"environments"`
		} `json:"context"`
	}
	// The "//" comment is a string, not an object: decode the envs one by one.
	var raw struct {
		Context struct {
			Environments map[string]json.RawMessage `json:"environments"`
		} `json:"context"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	file.Context.Environments = map[string]map[string]json.RawMessage{}
	for name, v := range raw.Context.Environments {
		if config.IsComment(name) {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(v, &obj); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		file.Context.Environments[name] = obj
	}
	for name, obj := range file.Context.Environments {
		for _, k := range config.Keys() {
			if _, ok := obj[k]; !ok {
				t.Errorf("cdk.json %s: key %q missing; list every key so the file documents itself", name, k)
			}
		}
	}
}

func TestDefaultsApplyToLeftOutKeys(t *testing.T) {
	env, err := config.Load(envsJSON(t, "dev", nil), "dev")
	if err != nil {
		t.Fatal(err)
	}
	want := config.Defaults("dev")
	if env.UploadPrefix != want.UploadPrefix || env.MaxExpiry != want.MaxExpiry || env.Signing != config.SigningRole || env.RemovalPolicy != config.RemovalRetain {
		t.Errorf("got %+v, want defaults %+v", env, want)
	}
}

func TestLoadAcceptsGoValuesFromTheCDKContext(t *testing.T) {
	// jsii hands numbers over as float64.
	ctx := map[string]any{"dev": map[string]any{"maxSize": float64(5 << 30), "maxExpiry": "2h", "authMode": "none"}}
	env, err := config.Load(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if env.MaxSize != 5<<30 || env.MaxExpiry != 2*time.Hour {
		t.Errorf("got maxSize %d maxExpiry %s, want %d and 2h", env.MaxSize, env.MaxExpiry, int64(5<<30))
	}
}

func TestEveryBadSettingIsReported(t *testing.T) {
	tests := []struct {
		key   string
		value any
		want  string // substring of the error, after "dev.<key>"
	}{
		{"account", "12345", "dev.account: must be a 12-digit"},
		{"region", "Europe", "dev.region: must be an AWS region"},
		{"availabilityZones", []string{"eu-west-1a"}, "dev.availabilityZones: an Application Load Balancer needs at least 2"},
		{"allowedOrigins", []string{"https://app.example.com/"}, "dev.allowedOrigins[0]: must be an origin"},
		{"allowedOrigins", []string{"https://*.example.com"}, "dev.allowedOrigins[0]: wildcards are not accepted"},
		{"allowedOrigins", []string{"*"}, "dev.allowedOrigins[0]: wildcards are not accepted"},
		{"allowedReferers", []string{"app.example.com"}, "dev.allowedReferers[0]: must be a page URL pattern"},
		{"exemptPrincipalArns", []string{"backup-role"}, "dev.exemptPrincipalArns[0]: must be an IAM or STS principal ARN"},
		{"uploadPrefix", "", "dev.uploadPrefix: must not be empty"},
		{"uploadPrefix", "uploads", "dev.uploadPrefix: must end with \"/\""},
		{"uploadPrefix", "up*/", "dev.uploadPrefix: must end with \"/\" and use only"},
		{"uploadPrefix", "/uploads/", "dev.uploadPrefix: must not start with"},
		{"uploadPrefix", "a/../b/", "dev.uploadPrefix: must not start with"},
		{"allowedTypes", []string{}, "dev.allowedTypes: must list at least one"},
		{"allowedTypes", []string{"Image/PNG"}, "dev.allowedTypes[0]: must be a lower-case type/subtype"},
		{"allowedTypes", []string{"text/markdown=md|"}, "dev.allowedTypes[0]: must be a lower-case type/subtype"},
		{"allowedTypes", []string{"image/png", "text/markdown=md|markdown"}, ""}, // control: both forms
		{"maxSize", 6 << 30, "dev.maxSize: must be between 1 byte and 5 GiB"},
		{"maxSize", 0, "dev.maxSize: must be between 1 byte and 5 GiB"},
		{"maxSize", 1.5, "dev.maxSize: want a whole number of bytes"},
		{"maxSize", "100MB", "dev.maxSize: want a whole number of bytes"},
		{"defaultExpiry", "2h", "dev.defaultExpiry: must not exceed maxExpiry"},
		{"defaultExpiry", "soon", "dev.defaultExpiry: want a duration string"},
		{"maxExpiry", "169h", "dev.maxExpiry: must be between 1s and 168h"},
		{"maxExpiry", "1500ms", "dev.maxExpiry: must be a whole number of seconds"},
		{"signing", "keys", "dev.signing: must be one of role, user"},
		{"authMode", "basic", "dev.authMode: must be one of none, apikey, oidc"},
		{"compatRoutes", "yes", "dev.compatRoutes: want true or false"},
		{"compatOverwrite", "never", "dev.compatOverwrite: must be one of allow, refuse"},
		{"compatUnsized", "sometimes", "dev.compatUnsized: must be one of allow, refuse"},
		{"compatUnsized", "refuse", ""}, // control
		{"desiredCount", 0, "dev.desiredCount: must be between 1 and 100"},
		{"maxCount", 0, "dev.maxCount: must be between desiredCount"},
		{"cpu", 300, "dev.cpu: must be a Fargate CPU size"},
		{"memoryMiB", 4096, "dev.memoryMiB: must be one of [512 1024 2048] with cpu 256"},
		{"certificateArn", "arn:aws:iam::111111111111:role/x", "dev.certificateArn: must be an ACM certificate ARN"},
		{"certificateArn", "arn:aws:acm:eu-west-1:111111111111:certificate/abc", "dev.domainName: must be set when certificateArn is"},
		{"domainName", "Signer.Example.com", "dev.domainName: must be a lower-case DNS name"},
		{"natGateways", 4, "dev.natGateways: must be between 0"},
		{"vpcFlowLogs", 1, "dev.vpcFlowLogs: want true or false"},
		{"noncurrentVersionExpiryDays", 0, "dev.noncurrentVersionExpiryDays: must be between 1 and 3650"},
		{"accessLogExpiryDays", 0, "dev.accessLogExpiryDays: must be between 1 and 3650"},
		{"logRetentionDays", 10, "dev.logRetentionDays: must be one of CloudWatch's values"},
		{"encryption", "aes", "dev.encryption: must be one of s3, kms"},
		{"removalPolicy", "snapshot", "dev.removalPolicy: must be one of retain, destroy"},
		{"maxSzie", 1, "dev.maxSzie: unknown setting"},
		{"region", nil, ""}, // control: a valid environment loads
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+jsonString(tt.value), func(t *testing.T) {
			_, err := config.Load(envsJSON(t, "dev", map[string]any{tt.key: tt.value}), "dev")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("control: got %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestAllProblemsAreReportedAtOnce(t *testing.T) {
	bad := map[string]any{
		"maxSize":          6 << 30,
		"uploadPrefix":     "",
		"cpu":              300,
		"logRetentionDays": 10,
		"signing":          "keys",
		"typo":             true,
	}
	_, err := config.Load(envsJSON(t, "dev", bad), "dev")
	if err == nil {
		t.Fatal("got no error, want one per bad setting")
	}
	for key := range bad {
		if !strings.Contains(err.Error(), "dev."+key+":") {
			t.Errorf("error does not name dev.%s:\n%v", key, err)
		}
	}
	// Other environments are validated too, and named in their own lines.
	envs := map[string]any{
		"dev":     map[string]any{"authMode": "none"},
		"staging": map[string]any{"maxSize": 0},
		"prod":    map[string]any{"authMode": "none"},
	}
	_, err = config.Load(envs, "dev")
	for _, want := range []string{"staging.maxSize:", "prod.authMode:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to contain %q", err, want)
		}
	}
}

func TestUnknownEnvironmentListsTheKnownOnes(t *testing.T) {
	_, err := config.Load(envsJSON(t, "dev", nil), "qa")
	if err == nil || !strings.Contains(err.Error(), `unknown environment "qa": known environments are dev, other`) {
		t.Fatalf("got %v, want the unknown env named with the known ones", err)
	}
	if _, err := config.Load(envsJSON(t, "dev", nil), "dev"); err != nil {
		t.Fatalf("control: %v", err)
	}
	if _, err := config.Load(envsJSON(t, "dev", nil), ""); err == nil || !strings.Contains(err.Error(), "-c env=NAME") {
		t.Fatalf("no env: got %v, want a hint", err)
	}
}

func TestProdRefusesAuthNone(t *testing.T) {
	_, err := config.Load(envsJSON(t, "prod", map[string]any{"authMode": "none"}), "prod")
	if err == nil || !strings.Contains(err.Error(), `prod.authMode: "none" is refused in prod`) {
		t.Fatalf("got %v, want prod+none refused", err)
	}
	// Controls: prod with apikey, and dev with none.
	if _, err := config.Load(envsJSON(t, "prod", map[string]any{"authMode": "apikey"}), "prod"); err != nil {
		t.Fatalf("prod apikey: %v", err)
	}
	if _, err := config.Load(envsJSON(t, "dev", map[string]any{"authMode": "none"}), "dev"); err != nil {
		t.Fatalf("dev none: %v", err)
	}
}

func TestProdRefusesDestroyAndWildcardOrigins(t *testing.T) {
	tests := []struct {
		override map[string]any
		want     string
	}{
		{map[string]any{"removalPolicy": "destroy"}, `prod.removalPolicy: "destroy" is refused in prod`},
		{map[string]any{"allowedOrigins": []string{"http://app.example.com"}}, "prod.allowedOrigins[0]: must use https in prod"},
	}
	for _, tt := range tests {
		_, err := config.Load(envsJSON(t, "prod", tt.override), "prod")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want %q", tt.override, err, tt.want)
		}
		// Control: the same setting is fine outside prod.
		if _, err := config.Load(envsJSON(t, "dev", tt.override), "dev"); err != nil {
			t.Errorf("dev %v: %v", tt.override, err)
		}
	}
}

func TestOIDCNeedsIssuerAndAudience(t *testing.T) {
	_, err := config.Load(envsJSON(t, "dev", map[string]any{"authMode": "oidc", "oidcIssuer": "http://idp.example.com"}), "dev")
	for _, want := range []string{"dev.oidcIssuer: must be the issuer's https URL", "dev.oidcAudience: must be set"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	ok := map[string]any{"authMode": "oidc", "oidcIssuer": "https://idp.example.com", "oidcAudience": "s3presign"}
	if _, err := config.Load(envsJSON(t, "dev", ok), "dev"); err != nil {
		t.Errorf("control: %v", err)
	}
}

func TestAccountAndRegionGoTogether(t *testing.T) {
	_, err := config.Load(envsJSON(t, "dev", map[string]any{"account": "123456789012"}), "dev")
	if err == nil || !strings.Contains(err.Error(), "dev.region: set both account and region") {
		t.Fatalf("got %v", err)
	}
	okEnv := map[string]any{"account": "123456789012", "region": "eu-west-1", "availabilityZones": []string{"eu-west-1a", "eu-west-1b"},
		"certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc", "domainName": "signer.example.com"}
	if _, err := config.Load(envsJSON(t, "dev", okEnv), "dev"); err != nil {
		t.Fatalf("control: %v", err)
	}
	okEnv["certificateArn"] = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
	okEnv["availabilityZones"] = []string{"eu-west-1a", "us-east-1b"}
	_, err = config.Load(envsJSON(t, "dev", okEnv), "dev")
	for _, want := range []string{"dev.certificateArn: must be in the stack's region eu-west-1", "dev.availabilityZones[1]: must be a zone of eu-west-1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}

func TestBadEnvironmentNameAndShape(t *testing.T) {
	_, err := config.Load(json.RawMessage(`{"Dev_1": {}, "ok": []}`), "ok")
	for _, want := range []string{"Dev_1: environment name must match", "ok: want an object of settings"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	if _, err := config.Load(nil, "dev"); err == nil {
		t.Error("nil context: got no error")
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Prod refuses unsized compat uploads unless cdk.json says otherwise, so
// every prod upload URL is capped; other environments keep old clients
// working.
func TestCompatUnsizedDefaultsToRefuseInProd(t *testing.T) {
	if got := config.Defaults("prod").CompatUnsized; got != config.UnsizedRefuse {
		t.Errorf("prod default %q, want refuse", got)
	}
	if got := config.Defaults("dev").CompatUnsized; got != config.UnsizedAllow {
		t.Errorf("dev default %q, want allow", got)
	}
}
