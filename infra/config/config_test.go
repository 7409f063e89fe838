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
	if prod.AuthMode == config.AuthNone || prod.RemovalPolicy != config.RemovalRetain || !prod.CustomDomain() || !prod.Production {
		t.Errorf("prod: authMode %q removalPolicy %q https %v; want not none, retain, custom domain, production", prod.AuthMode, prod.RemovalPolicy, prod.CustomDomain())
	}
	dev, _ := config.LoadCDKJSON(data, "dev")
	if dev.AuthMode != config.AuthAPIKey || dev.NatGateways != 0 || dev.Production {
		t.Errorf("dev: authMode %q natGateways %d production %v; want apikey, 0 (cheap), not production", dev.AuthMode, dev.NatGateways, dev.Production)
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

// TestCPUArchitecture: left out, the tasks run on x86-64 (Fargate's
// default, what the committed environments pin too); "arm64" picks Graviton.
// GOARCH names the same choice as Go and OCI platforms do.
func TestCPUArchitecture(t *testing.T) {
	for _, tc := range []struct {
		override map[string]any
		want     string
		goarch   string
	}{
		{nil, config.ArchX86_64, "amd64"},
		{map[string]any{"cpuArchitecture": "x86_64"}, config.ArchX86_64, "amd64"},
		{map[string]any{"cpuArchitecture": "arm64"}, config.ArchARM64, "arm64"},
	} {
		env, err := config.Load(envsJSON(t, "dev", tc.override), "dev")
		if err != nil {
			t.Fatal(err)
		}
		if env.CPUArchitecture != tc.want || env.GOARCH() != tc.goarch {
			t.Errorf("%v: got %q (GOARCH %q), want %q (%q)", tc.override, env.CPUArchitecture, env.GOARCH(), tc.want, tc.goarch)
		}
	}
}

func TestLoadAcceptsGoValuesFromTheCDKContext(t *testing.T) {
	// jsii hands numbers over as float64.
	ctx := map[string]any{"dev": map[string]any{"maxSize": float64(5 << 30), "maxExpiry": "2h", "authMode": "oidc", "oidcIssuer": "https://idp.example.com", "oidcAudience": "s3presign"}}
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
		{"cpuArchitecture", "amd64", "dev.cpuArchitecture: must be one of x86_64, arm64"},
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

func TestEveryEnvironmentRefusesAuthNone(t *testing.T) {
	for _, env := range []struct {
		name string
		prod bool
	}{{"dev", false}, {"staging", false}, {"prod", true}, {"eu-prod", true}} {
		_, err := config.Load(envsJSON(t, env.name, map[string]any{"authMode": "none", "production": env.prod}), env.name)
		want := env.name + `.authMode: "none" is refused for every deployed environment`
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `set "apikey"`) {
			t.Errorf("%s: got %v, want %q naming the fix", env.name, err, want)
		}
		// Controls: the same environment with apikey and with oidc.
		for _, ok := range []map[string]any{
			{"authMode": "apikey", "production": env.prod},
			{"authMode": "oidc", "oidcIssuer": "https://idp.example.com", "oidcAudience": "s3presign", "production": env.prod},
		} {
			if _, err := config.Load(envsJSON(t, env.name, ok), env.name); err != nil {
				t.Errorf("%s %v: %v", env.name, ok, err)
			}
		}
	}
}

// A page served over plain HTTP would carry the caller's API key or token
// in clear: refused whatever the mode, except on loopback.
func TestAuthOverPlainHTTPOriginIsRefused(t *testing.T) {
	for _, mode := range []map[string]any{
		{"authMode": "apikey"},
		{"authMode": "oidc", "oidcIssuer": "https://idp.example.com", "oidcAudience": "s3presign"},
	} {
		o := map[string]any{"allowedOrigins": []string{"https://ok.example.com", "http://app.example.com"}}
		for k, v := range mode {
			o[k] = v
		}
		_, err := config.Load(envsJSON(t, "staging", o), "staging")
		want := "staging.allowedOrigins[1]: a plain-HTTP page origin is refused with authMode " + jsonString(mode["authMode"])
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"https://app.example.com"`) {
			t.Errorf("%v: got %v, want %q with the https fix", mode, err, want)
		}
		if strings.Contains(err.Error(), "allowedOrigins[0]") {
			t.Errorf("the https origin was refused too: %v", err)
		}
		// Controls: https, and loopback pages (a developer's machine).
		for _, origins := range [][]string{{"https://app.example.com"}, {"http://127.0.0.1:8081", "http://localhost:8081", "http://[::1]:8081"}} {
			o["allowedOrigins"] = origins
			if _, err := config.Load(envsJSON(t, "staging", o), "staging"); err != nil {
				t.Errorf("%v %v: %v", mode, origins, err)
			}
		}
	}
}

// The production guards follow the production setting, not the name: a
// second production environment ("eu-prod") gets every one of them and an
// environment called "prod" without the setting gets none.
func TestProductionGuardsFollowTheSettingNotTheName(t *testing.T) {
	tests := []struct {
		override map[string]any
		want     string
	}{
		{map[string]any{"removalPolicy": "destroy"}, `removalPolicy: "destroy" is refused in a production environment`},
		{map[string]any{"allowedOrigins": []string{"http://127.0.0.1:8081"}}, "allowedOrigins[0]: must use https in a production environment"},
		{map[string]any{"wafEnabled": false}, "wafEnabled: false is refused in a production environment"},
	}
	for _, tt := range tests {
		for _, name := range []string{"prod", "eu-prod"} {
			o := map[string]any{"production": true}
			for k, v := range tt.override {
				o[k] = v
			}
			_, err := config.Load(envsJSON(t, name, o), name)
			if err == nil || !strings.Contains(err.Error(), name+"."+tt.want) {
				t.Errorf("%s %v: got %v, want %q", name, tt.override, err, name+"."+tt.want)
			}
			// Control: the same setting without production, even named prod.
			o["production"] = false
			if _, err := config.Load(envsJSON(t, name, o), name); err != nil {
				t.Errorf("%s not production %v: %v", name, tt.override, err)
			}
		}
	}
	env, err := config.Load(envsJSON(t, "eu-prod", map[string]any{"production": true}), "eu-prod")
	if err != nil || !env.IsProd() {
		t.Errorf("eu-prod with production true: IsProd %v, err %v", env.IsProd(), err)
	}
	if env, _ := config.Load(envsJSON(t, "prod", nil), "prod"); env.IsProd() {
		t.Error("an environment named prod without the production setting is production")
	}
}

func TestWAFRateLimitBounds(t *testing.T) {
	for _, bad := range []int{0, 9, 2_000_000_001} {
		_, err := config.Load(envsJSON(t, "dev", map[string]any{"wafRateLimit": bad}), "dev")
		if err == nil || !strings.Contains(err.Error(), "dev.wafRateLimit: must be between 10 and 2000000000") {
			t.Errorf("%d: got %v", bad, err)
		}
	}
	for _, ok := range []int{10, 2000, 2_000_000_000} {
		if _, err := config.Load(envsJSON(t, "dev", map[string]any{"wafRateLimit": ok}), "dev"); err != nil {
			t.Errorf("control %d: %v", ok, err)
		}
	}
}

func TestCustomDomainNeedsACloudFrontCertificate(t *testing.T) {
	_, err := config.Load(envsJSON(t, "dev", map[string]any{"domainName": "signer.example.com"}), "dev")
	if err == nil || !strings.Contains(err.Error(), "dev.domainName: needs certificateArn (an ACM certificate in us-east-1") {
		t.Errorf("domain without certificate: got %v", err)
	}
	ok := map[string]any{"domainName": "signer.example.com", "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}
	if _, err := config.Load(envsJSON(t, "dev", ok), "dev"); err != nil {
		t.Errorf("control: %v", err)
	}
	ok["certificateArn"] = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
	if _, err := config.Load(envsJSON(t, "dev", ok), "dev"); err == nil || !strings.Contains(err.Error(), "dev.certificateArn: must be a certificate in us-east-1") {
		t.Errorf("certificate outside us-east-1: got %v", err)
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
		"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc", "domainName": "signer.example.com"}
	if _, err := config.Load(envsJSON(t, "dev", okEnv), "dev"); err != nil {
		t.Fatalf("control: %v", err)
	}
	okEnv["availabilityZones"] = []string{"eu-west-1a", "us-east-1b"}
	_, err = config.Load(envsJSON(t, "dev", okEnv), "dev")
	for _, want := range []string{"dev.availabilityZones[1]: must be a zone of eu-west-1"} {
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

// A production environment refuses unsized compat uploads unless cdk.json
// says otherwise, so every production upload URL is capped; other
// environments keep old clients working. The name plays no part.
func TestCompatUnsizedDefaultsToRefuseInProduction(t *testing.T) {
	for _, c := range []struct {
		name     string
		override map[string]any
		want     string
	}{
		{"eu-prod", map[string]any{"production": true, "removalPolicy": "retain"}, config.UnsizedRefuse},
		{"prod", map[string]any{"production": false}, config.UnsizedAllow},
		{"eu-prod", map[string]any{"production": true, "removalPolicy": "retain", "compatUnsized": "allow"}, config.UnsizedAllow},
	} {
		env, err := config.Load(envsJSON(t, c.name, c.override), c.name)
		if err != nil {
			t.Fatalf("%s %v: %v", c.name, c.override, err)
		}
		if env.CompatUnsized != c.want {
			t.Errorf("%s %v: compatUnsized %q, want %q", c.name, c.override, env.CompatUnsized, c.want)
		}
	}
}
