package config

import (
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{EnvBucket: "my-bucket", EnvAWSRegion: "eu-west-1", EnvAuthMode: "none"}))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"environment", c.Environment, "dev"},
		{"production off", c.Production, false},
		{"region from AWS_REGION", c.Region, "eu-west-1"},
		{"regional endpoint", c.Endpoint, "https://s3.eu-west-1.amazonaws.com"},
		{"path style", c.PathStyle, false},
		{"prefix", c.KeyPrefix, "uploads/"},
		{"types", len(c.AllowedTypes), 5},
		{"max size", c.Limits.MaxSize, int64(10 << 20)},
		{"default expiry", c.Limits.DefaultExpiry, 5 * time.Minute},
		{"max expiry", c.Limits.MaxExpiry, time.Hour},
		{"listen", c.ListenAddr, ":8080"},
		{"log level", c.LogLevel, slog.LevelInfo},
		{"shutdown", c.ShutdownTimeout, 20 * time.Second},
		{"cors", len(c.CORSOrigins), 0},
		{"compat", c.CompatRoutes, true},
		{"overwrite", c.CompatOverwrite, OverwriteAllow},
		{"unsized", c.CompatUnsized, UnsizedAllow},
		{"auth mode", c.AuthMode, authconfig.ModeNone},
		{"rate limit", c.RateLimit, authconfig.Limit{PerSecond: 10, Burst: 20}},
		{"proxy hops", c.TrustedProxyHops, 0},
		{"shared prefixes", len(c.SharedPrefixes), 0},
		{"token key", c.TokenKey, []byte(nil)},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestLoadEverySetting(t *testing.T) {
	c, err := Load(env(map[string]string{
		EnvEnvironment:     "staging",
		EnvBucket:          "b.with.dots",
		EnvRegion:          "us-east-1",
		EnvAWSRegion:       "eu-west-1",
		EnvEndpoint:        "http://127.0.0.1:7070/",
		EnvPathStyle:       "true",
		EnvKeyPrefix:       "in/box/",
		EnvAllowedTypes:    "image/png, text/markdown=md",
		EnvMaxSize:         "5GiB",
		EnvDefaultExpiry:   "30s",
		EnvMaxExpiry:       "168h",
		EnvListenAddr:      "127.0.0.1:0",
		EnvLogLevel:        "DEBUG",
		EnvShutdownTimeout: "3s",
		EnvCORSOrigins:     "http://localhost:5173, HTTPS://App.Example.com",
		EnvCompatRoutes:    "false",
		EnvCompatOverwrite: "refuse",
		EnvCompatUnsized:   "refuse",
		EnvAuthMode:        "none",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "us-east-1" {
		t.Errorf("region: got %q, want S3PRESIGN_REGION to win over AWS_REGION", c.Region)
	}
	if c.Endpoint != "http://127.0.0.1:7070" {
		t.Errorf("endpoint: got %q", c.Endpoint)
	}
	if c.Limits.MaxSize != 5<<30 || c.Limits.MaxExpiry != 168*time.Hour || c.Limits.DefaultExpiry != 30*time.Second {
		t.Errorf("limits: got %+v", c.Limits)
	}
	if c.LogLevel != slog.LevelDebug || c.ShutdownTimeout != 3*time.Second || c.CompatRoutes || c.CompatOverwrite != OverwriteRefuse || c.CompatUnsized != UnsizedRefuse {
		t.Errorf("got %+v", c)
	}
	if want := []string{"http://localhost:5173", "https://app.example.com"}; !slices.Equal(c.CORSOrigins, want) {
		t.Errorf("origins: got %v, want %v", c.CORSOrigins, want)
	}
	if len(c.AllowedTypes) != 2 || c.AllowedTypes[1].Type != "text/markdown" {
		t.Errorf("types: got %v", c.AllowedTypes)
	}
	if tg := c.Target(); tg.Bucket != "b.with.dots" || !tg.PathStyle {
		t.Errorf("target: got %+v", tg)
	}
}

func TestLoadNamesEveryBadSetting(t *testing.T) {
	bad := map[string]string{
		EnvEnvironment:     "Prod!",
		EnvBucket:          "Not_A_Bucket",
		EnvRegion:          "eu west",
		EnvEndpoint:        "ftp://x/y",
		EnvPathStyle:       "maybe",
		EnvKeyPrefix:       "../",
		EnvAllowedTypes:    "image/svg+xml",
		EnvMaxSize:         "6GiB",
		EnvDefaultExpiry:   "1.5s",
		EnvMaxExpiry:       "200h",
		EnvListenAddr:      "8080",
		EnvLogLevel:        "verbose",
		EnvShutdownTimeout: "-1s",
		EnvCORSOrigins:     "*",
		EnvCompatRoutes:    "yes please",
		EnvCompatOverwrite: "sometimes",
		EnvCompatUnsized:   "never",
	}
	_, err := Load(env(bad))
	if err == nil {
		t.Fatal("got nil error")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestLoadRequired(t *testing.T) {
	_, err := Load(env(nil))
	if err == nil {
		t.Fatal("got nil error")
	}
	for _, name := range []string{EnvBucket, EnvRegion, EnvAuthMode} {
		if !strings.Contains(err.Error(), name+": is required") {
			t.Errorf("error does not say %s is required:\n%v", name, err)
		}
	}
}

func TestLoadCrossChecks(t *testing.T) {
	tests := []struct {
		name string
		kv   map[string]string
		want string // "" = valid
	}{
		{"default above max", map[string]string{EnvDefaultExpiry: "2h"}, EnvDefaultExpiry + ": 2h0m0s is above"},
		{"default equals max", map[string]string{EnvDefaultExpiry: "1h"}, ""},
		{"dotted bucket on https without path style", map[string]string{EnvBucket: "a.b.c"}, EnvPathStyle + ": bucket"},
		{"dotted bucket with path style", map[string]string{EnvBucket: "a.b.c", EnvPathStyle: "true"}, ""},
		{"dotted bucket on plain http", map[string]string{EnvBucket: "a.b.c", EnvEndpoint: "http://127.0.0.1:9000"}, ""},
		{"max size in bytes", map[string]string{EnvMaxSize: "1048576"}, ""},
		{"max size zero", map[string]string{EnvMaxSize: "0"}, EnvMaxSize + ":"},
		{"cn region endpoint", map[string]string{EnvRegion: "cn-north-1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := map[string]string{EnvBucket: "bucket", EnvRegion: "eu-west-1", EnvAuthMode: "none"}
			for k, v := range tt.kv {
				kv[k] = v
			}
			c, err := Load(env(kv))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				if tt.kv[EnvRegion] == "cn-north-1" && c.Endpoint != "https://s3.cn-north-1.amazonaws.com.cn" {
					t.Errorf("endpoint: got %q", c.Endpoint)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestVarsListsEveryNameRead(t *testing.T) {
	want := []string{
		EnvEnvironment, EnvProduction, EnvBucket, EnvRegion, EnvAWSRegion, EnvEndpoint, EnvPathStyle, EnvKeyPrefix,
		EnvAllowedTypes, EnvAllowActiveTypes, EnvMaxSize, EnvDefaultExpiry, EnvMaxExpiry, EnvListenAddr, EnvLogLevel,
		EnvShutdownTimeout, EnvCORSOrigins, EnvCompatRoutes, EnvCompatOverwrite, EnvCompatUnsized,
		EnvAuthMode, EnvAPIKeys, EnvAPIKeysFile, EnvAPIKeysSecretARN, EnvAPIKeysReloadInterval, EnvOIDCIssuer, EnvOIDCJWKSURL, EnvOIDCAudience, EnvOIDCSubjectClaim,
		EnvOIDCAllowMutableSubject, EnvOIDCAlgorithms, EnvRateLimit, EnvRateBurst, EnvTrustedProxyHops, EnvSharedPrefixes, EnvTokenKey,
		EnvMultipartThreshold, EnvPartSize, EnvMaxMultipartSize,
		EnvMetricsNamespace, EnvMetricsInterval, EnvMetricsAddr, EnvMetricsCallerDimension, EnvScanCheck,
	}
	got := Vars()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Vars() = %v\nwant %v", got, want)
	}
	// Every name is read once only, whatever the values.
	seen := map[string]int{}
	_, _ = Load(func(k string) string { seen[k]++; return "x" })
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s read %d times", k, n)
		}
	}
}

func TestHealthAddr(t *testing.T) {
	tests := map[string]string{
		"":               "127.0.0.1:8080",
		":9000":          "127.0.0.1:9000",
		"0.0.0.0:9000":   "127.0.0.1:9000",
		"[::]:9000":      "127.0.0.1:9000",
		"127.0.0.2:9000": "127.0.0.2:9000",
		"[::1]:9000":     "[::1]:9000",
	}
	for in, want := range tests {
		got, err := HealthAddr(env(map[string]string{EnvListenAddr: in}))
		if err != nil || got != want {
			t.Errorf("HealthAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := HealthAddr(env(map[string]string{EnvListenAddr: "nonsense"})); err == nil {
		t.Error("HealthAddr(nonsense): got nil error")
	}
}

// TestLoadErrorsHideURLUserInfo: a URL setting with user info (a secret
// pasted into it) is refused, and the error names the setting without
// echoing the secret, since it goes to stderr and so to the logs. Control:
// the rest of the URL is still shown, so the message stays useful.
func TestLoadErrorsHideURLUserInfo(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	tests := []struct {
		setting string
		kv      map[string]string
		shown   string
	}{
		{EnvEndpoint, map[string]string{EnvAuthMode: "none", EnvEndpoint: "https://AKIDEXAMPLE:" + secret + "@s3.example.com"}, "s3.example.com"},
		{EnvOIDCIssuer, map[string]string{EnvAuthMode: "oidc", EnvOIDCAudience: "api",
			EnvOIDCIssuer: "https://client:" + secret + "@idp.example.com/"}, "idp.example.com"},
		{EnvOIDCJWKSURL, map[string]string{EnvAuthMode: "oidc", EnvOIDCAudience: "api", EnvOIDCIssuer: "https://idp.example.com/",
			EnvOIDCJWKSURL: "https://client:" + secret + "@idp.example.com/jwks"}, "idp.example.com/jwks"},
	}
	for _, tt := range tests {
		t.Run(tt.setting, func(t *testing.T) {
			kv := map[string]string{EnvBucket: "bucket", EnvRegion: "eu-west-1"}
			for k, v := range tt.kv {
				kv[k] = v
			}
			_, err := Load(env(kv))
			if err == nil || !strings.Contains(err.Error(), tt.setting+":") {
				t.Fatalf("got %v, want an error naming %s", err, tt.setting)
			}
			for _, leak := range []string{secret, "K7MDENG"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error echoes the user info:\n%v", err)
				}
			}
			if !strings.Contains(err.Error(), tt.shown) {
				t.Errorf("error does not show %q:\n%v", tt.shown, err)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"https://s3.example.com":             "https://s3.example.com",
		"https://a:b@s3.example.com":         "https://REDACTED@s3.example.com",
		"https://a:b/c@d@host:9000/path":     "https://REDACTED@host:9000/path",
		"user:pass@host":                     "REDACTED@host",
		"ftp://x/y":                          "ftp://x/y",
		"http://127.0.0.1:7070/":             "http://127.0.0.1:7070/",
		"https://key@idp.example.com/?q=1#f": "https://REDACTED@idp.example.com/?q=1#f",
	}
	for in, want := range tests {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// An active type in the allowed list stops the start unless
// S3PRESIGN_ALLOW_ACTIVE_TYPES=true; the default list needs nothing.
func TestLoadGatesActiveTypes(t *testing.T) {
	base := map[string]string{EnvBucket: "bucket", EnvRegion: "eu-west-1", EnvAuthMode: "none"}
	with := func(kv map[string]string) (Config, error) {
		m := maps.Clone(base)
		maps.Copy(m, kv)
		return Load(env(m))
	}
	for _, typ := range []string{"text/html=html|htm", "image/svg+xml=svg", "application/xhtml+xml=xhtml", "text/xml=xml",
		"application/xml=xsd", "application/javascript=js", "text/javascript=mjs"} {
		_, err := with(map[string]string{EnvAllowedTypes: "image/png," + typ})
		if err == nil || !strings.Contains(err.Error(), EnvAllowActiveTypes+":") || !strings.Contains(err.Error(), "attachments") {
			t.Errorf("%s: %v, want a refusal naming %s", typ, err, EnvAllowActiveTypes)
		}
		c, err := with(map[string]string{EnvAllowedTypes: "image/png," + typ, EnvAllowActiveTypes: "true"})
		if err != nil || len(c.AllowedTypes) != 2 {
			t.Errorf("%s with %s=true: %v", typ, EnvAllowActiveTypes, err)
		}
	}
	// Controls: the default list, and a custom inactive type.
	if _, err := with(nil); err != nil {
		t.Errorf("default types: %v", err)
	}
	if _, err := with(map[string]string{EnvAllowedTypes: "text/markdown=md"}); err != nil {
		t.Errorf("text/markdown: %v", err)
	}
}
