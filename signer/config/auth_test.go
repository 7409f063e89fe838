package config

import (
	"encoding/base64"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

// keyLine is a well-formed API-key hash line (the hash of no real key).
var keyLine = "alice:" + strings.Repeat("ab", 32)

// loadWith loads a valid base environment plus kv.
func loadWith(t *testing.T, kv map[string]string) (Config, error) {
	t.Helper()
	m := map[string]string{EnvBucket: "bucket", EnvRegion: "eu-west-1"}
	maps.Copy(m, kv)
	return Load(env(m))
}

func TestLoadAuthModes(t *testing.T) {
	tests := []struct {
		name string
		kv   map[string]string
		want string // "" = valid
	}{
		{"mode missing", nil, EnvAuthMode + ": is required"},
		{"mode unknown", map[string]string{EnvAuthMode: "basic"}, EnvAuthMode + `: unknown authentication mode "basic"`},
		{"control: none in dev", map[string]string{EnvAuthMode: "none", EnvEnvironment: "dev"}, ""},
		{"control: none with production false (the local stack)", map[string]string{EnvAuthMode: "none", EnvProduction: "false"}, ""},
		{"none in production", map[string]string{EnvAuthMode: "none", EnvProduction: "true", EnvEnvironment: "staging"},
			EnvAuthMode + `: authentication mode "none" is refused in production`},
		{"none in production, any case", map[string]string{EnvAuthMode: " NONE ", EnvProduction: "TRUE"},
			EnvAuthMode + `: authentication mode "none" is refused in production`},
		// The name is only a name: "prod" without the flag gets no guard,
		// "eu-prod" with it does.
		{"control: none in an environment named prod, production unset", map[string]string{EnvAuthMode: "none", EnvEnvironment: "prod"}, ""},
		{"none in eu-prod with production true", map[string]string{EnvAuthMode: "none", EnvEnvironment: "eu-prod", EnvProduction: "true"},
			EnvAuthMode + `: authentication mode "none" is refused in production`},
		{"production not a boolean", map[string]string{EnvAuthMode: "apikey", EnvAPIKeys: keyLine, EnvProduction: "yes"},
			EnvProduction + `: "yes" must be true or false`},
		{"control: apikey in production", map[string]string{EnvAuthMode: "apikey", EnvProduction: "true", EnvAPIKeys: keyLine}, ""},
		{"apikey without keys", map[string]string{EnvAuthMode: "apikey"}, EnvAPIKeys + ": is required in mode apikey"},
		{"apikey with a bad line", map[string]string{EnvAuthMode: "apikey", EnvAPIKeys: keyLine + "\nbob:nothex"}, EnvAPIKeys + ": API key entry 2"},
		{"control: apikey lines with comments and limits", map[string]string{EnvAuthMode: "apikey",
			EnvAPIKeys: "# comment\n" + keyLine + ":5:10\nbob:" + strings.Repeat("cd", 32)}, ""},
		{"keys set in mode none", map[string]string{EnvAuthMode: "none", EnvAPIKeys: keyLine}, EnvAPIKeys + `: is set, but ` + EnvAuthMode + ` is "none"`},
		{"control: oidc", map[string]string{EnvAuthMode: "oidc", EnvOIDCIssuer: "https://idp.example.com/", EnvOIDCAudience: "s3presign"}, ""},
		{"oidc without issuer and audience", map[string]string{EnvAuthMode: "oidc"}, EnvOIDCIssuer + ": is required"},
		{"oidc without audience", map[string]string{EnvAuthMode: "oidc", EnvOIDCIssuer: "https://idp.example.com"}, EnvOIDCAudience + ": is required"},
		{"oidc issuer over plain http", map[string]string{EnvAuthMode: "oidc", EnvOIDCIssuer: "http://idp.example.com", EnvOIDCAudience: "a"},
			EnvOIDCIssuer + `: "http://idp.example.com" must be https`},
		{"control: oidc issuer over http on loopback", map[string]string{EnvAuthMode: "oidc", EnvOIDCIssuer: "http://127.0.0.1:5556", EnvOIDCAudience: "a"}, ""},
		{"oidc JWKS URL with a query", map[string]string{EnvAuthMode: "oidc", EnvOIDCIssuer: "https://idp.example.com", EnvOIDCAudience: "a",
			EnvOIDCJWKSURL: "https://idp.example.com/keys?x=1"}, EnvOIDCJWKSURL + ":"},
		{"oidc alg none", map[string]string{EnvAuthMode: "oidc", EnvOIDCIssuer: "https://idp.example.com", EnvOIDCAudience: "a",
			EnvOIDCAlgorithms: "RS256,none"}, EnvOIDCAlgorithms + `: algorithm "none" is refused`},
		{"oidc HMAC", map[string]string{EnvAuthMode: "oidc", EnvOIDCIssuer: "https://idp.example.com", EnvOIDCAudience: "a",
			EnvOIDCAlgorithms: "HS256"}, EnvOIDCAlgorithms + `: algorithm "HS256" is refused`},
		{"oidc claim with a space", map[string]string{EnvAuthMode: "oidc", EnvOIDCIssuer: "https://idp.example.com", EnvOIDCAudience: "a",
			EnvOIDCSubjectClaim: "user name"}, EnvOIDCSubjectClaim + ":"},
		{"oidc settings in mode apikey", map[string]string{EnvAuthMode: "apikey", EnvAPIKeys: keyLine, EnvOIDCIssuer: "https://idp.example.com"},
			EnvOIDCIssuer + `: is set, but ` + EnvAuthMode + ` is "apikey"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadWith(t, tt.kv)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadOIDCSettings(t *testing.T) {
	c, err := loadWith(t, map[string]string{
		EnvAuthMode:         "oidc",
		EnvOIDCIssuer:       "https://idp.example.com/realms/x",
		EnvOIDCJWKSURL:      "https://idp.example.com/realms/x/certs",
		EnvOIDCAudience:     "s3presign, other ,s3presign",
		EnvOIDCSubjectClaim: "preferred_username",
		EnvOIDCAlgorithms:   "es256, PS256",
		// The issuer of this test forbids renaming users.
		EnvOIDCAllowMutableSubject: "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		AuthMode: authconfig.ModeOIDC, OIDCIssuer: "https://idp.example.com/realms/x", OIDCJWKSURL: "https://idp.example.com/realms/x/certs",
		OIDCAudiences: []string{"s3presign", "other"}, OIDCSubjectClaim: "preferred_username", OIDCAlgorithms: []string{"ES256", "PS256"},
	}
	got := Config{AuthMode: c.AuthMode, OIDCIssuer: c.OIDCIssuer, OIDCJWKSURL: c.OIDCJWKSURL, OIDCAudiences: c.OIDCAudiences,
		OIDCSubjectClaim: c.OIDCSubjectClaim, OIDCAlgorithms: c.OIDCAlgorithms}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	d, err := loadWith(t, map[string]string{EnvAuthMode: "oidc", EnvOIDCIssuer: "https://idp.example.com", EnvOIDCAudience: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if d.OIDCSubjectClaim != "sub" || !slices.Equal(d.OIDCAlgorithms, []string{"RS256", "ES256"}) {
		t.Errorf("defaults: claim %q algorithms %v, want sub and RS256,ES256", d.OIDCSubjectClaim, d.OIDCAlgorithms)
	}
}

func TestLoadRateLimitAndProxyHops(t *testing.T) {
	tests := []struct {
		name      string
		kv        map[string]string
		wantLimit authconfig.Limit
		wantHops  int
		err       string
	}{
		{name: "control: defaults", wantLimit: authconfig.Limit{PerSecond: 10, Burst: 20}},
		{name: "control: set", kv: map[string]string{EnvRateLimit: "0.5", EnvRateBurst: "3", EnvTrustedProxyHops: "1"},
			wantLimit: authconfig.Limit{PerSecond: 0.5, Burst: 3}, wantHops: 1},
		{name: "zero rate", kv: map[string]string{EnvRateLimit: "0"}, err: EnvRateLimit + ":"},
		{name: "rate not a number", kv: map[string]string{EnvRateLimit: "fast"}, err: EnvRateLimit + ":"},
		{name: "zero burst", kv: map[string]string{EnvRateBurst: "0"}, err: EnvRateBurst + ":"},
		{name: "fractional burst", kv: map[string]string{EnvRateBurst: "1.5"}, err: EnvRateBurst + ":"},
		{name: "negative hops", kv: map[string]string{EnvTrustedProxyHops: "-1"}, err: EnvTrustedProxyHops + ":"},
		{name: "too many hops", kv: map[string]string{EnvTrustedProxyHops: "11"}, err: EnvTrustedProxyHops + ":"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := map[string]string{EnvAuthMode: "none"}
			maps.Copy(kv, tt.kv)
			c, err := loadWith(t, kv)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.RateLimit != tt.wantLimit || c.TrustedProxyHops != tt.wantHops {
				t.Errorf("limit %+v hops %d, want %+v and %d", c.RateLimit, c.TrustedProxyHops, tt.wantLimit, tt.wantHops)
			}
		})
	}
}

func TestLoadSharedPrefixes(t *testing.T) {
	base := map[string]string{EnvAuthMode: "apikey", EnvAPIKeys: keyLine}
	tests := []struct {
		name   string
		shared string
		mode   string
		want   map[string][]string
		err    string
	}{
		{name: "control: pairs", shared: "bob=uploads/alice/, bob=uploads/team/, carol=uploads/",
			want: map[string][]string{"bob": {"uploads/alice/", "uploads/team/"}, "carol": {"uploads/"}}},
		{name: "no equals sign", shared: "bob", err: `"bob" must be caller=prefix`},
		{name: "bad caller", shared: "../x=uploads/a/", err: "caller name must start with a letter or digit"},
		{name: "prefix without slash", shared: "bob=uploads/alice", err: `must end with "/"`},
		{name: "prefix outside the key prefix", shared: "bob=private/", err: "prefix must start with " + EnvKeyPrefix},
		{name: "traversal in the prefix", shared: "bob=uploads/../private/", err: `must not contain ".."`},
		{name: "twice", shared: "bob=uploads/a/,bob=uploads/a/", err: "is given twice"},
		{name: "mode none", shared: "bob=uploads/a/", mode: "none", err: "there are no callers to share with"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := maps.Clone(base)
			kv[EnvSharedPrefixes] = tt.shared
			if tt.mode != "" {
				kv[EnvAuthMode] = tt.mode
				delete(kv, EnvAPIKeys)
			}
			c, err := loadWith(t, kv)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), EnvSharedPrefixes+":") || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error naming %s containing %q", err, EnvSharedPrefixes, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.SharedPrefixes, tt.want) {
				t.Errorf("got %v, want %v", c.SharedPrefixes, tt.want)
			}
		})
	}
}

func TestLoadTokenKey(t *testing.T) {
	key48 := make([]byte, 48)
	for i := range key48 {
		key48[i] = byte(i * 7)
	}
	alnum64 := strings.Repeat("Ab3", 21) + "x" // what Secrets Manager generates (no punctuation)
	tests := []struct {
		name  string
		value string
		want  int // decoded length; 0 = nil
		err   string
	}{
		{name: "control: unset", value: ""},
		{name: "control: standard base64", value: base64.StdEncoding.EncodeToString(key48), want: 48},
		{name: "control: URL-safe, unpadded", value: base64.RawURLEncoding.EncodeToString(key48[:33]), want: 33},
		{name: "control: 64 letters and digits", value: alnum64, want: 48},
		{name: "too short", value: base64.StdEncoding.EncodeToString(key48[:31]), err: "decodes to 31 bytes; want at least 32"},
		{name: "not base64", value: "not base64 at all!", err: "is not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadWith(t, map[string]string{EnvAuthMode: "none", EnvTokenKey: tt.value})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), EnvTokenKey+": "+tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				if strings.Contains(err.Error(), tt.value) {
					t.Errorf("the error echoes the secret value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c.TokenKey) != tt.want {
				t.Errorf("decoded %d bytes, want %d", len(c.TokenKey), tt.want)
			}
		})
	}
}

// Every bad auth setting is named at once, and no API-key line is echoed.
func TestLoadNamesEveryBadAuthSetting(t *testing.T) {
	secretish := "alice:" + strings.Repeat("z", 64)
	bad := map[string]string{
		EnvAuthMode:                "oidc",
		EnvAPIKeys:                 secretish,
		EnvOIDCIssuer:              "ftp://idp",
		EnvOIDCJWKSURL:             "http://idp.example.com/keys",
		EnvOIDCSubjectClaim:        "a b",
		EnvOIDCAlgorithms:          "HS256",
		EnvOIDCAllowMutableSubject: "maybe",
		EnvRateLimit:               "-1",
		EnvRateBurst:               "many",
		EnvTrustedProxyHops:        "x",
		EnvSharedPrefixes:          "nonsense",
		EnvTokenKey:                "short",
	}
	_, err := loadWith(t, bad)
	if err == nil {
		t.Fatal("got nil error")
	}
	for name := range bad {
		if name == EnvAuthMode { // valid: the others are checked against it
			continue
		}
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	if !strings.Contains(err.Error(), EnvOIDCAudience+":") {
		t.Errorf("error does not name the missing %s:\n%v", EnvOIDCAudience, err)
	}
	if strings.Contains(err.Error(), strings.Repeat("z", 64)) {
		t.Errorf("error echoes an API-key line:\n%v", err)
	}
}

// A subject claim users can change is refused at start, with the risk
// explained, unless the operator says the issuer forbids changing it; sub
// and oid need no such statement.
func TestLoadRefusesAMutableSubjectClaim(t *testing.T) {
	oidc := func(kv map[string]string) (Config, error) {
		base := map[string]string{EnvAuthMode: "oidc", EnvOIDCIssuer: "https://idp.example.com", EnvOIDCAudience: "a"}
		for k, v := range kv {
			base[k] = v
		}
		return loadWith(t, base)
	}
	for _, claim := range MutableSubjectClaims {
		_, err := oidc(map[string]string{EnvOIDCSubjectClaim: claim})
		if err == nil {
			t.Fatalf("%s: accepted", claim)
		}
		for _, want := range []string{EnvOIDCSubjectClaim + ":", "can change", "another user's", EnvOIDCAllowMutableSubject + "=true"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: refusal does not say %q:\n%v", claim, want, err)
			}
		}
		c, err := oidc(map[string]string{EnvOIDCSubjectClaim: claim, EnvOIDCAllowMutableSubject: "true"})
		if err != nil || c.OIDCSubjectClaim != claim {
			t.Errorf("%s with %s=true: %v", claim, EnvOIDCAllowMutableSubject, err)
		}
	}
	if _, err := oidc(map[string]string{EnvOIDCSubjectClaim: "custom_id"}); err == nil || !strings.Contains(err.Error(), "not a claim known to be immutable") {
		t.Errorf("unknown claim: %v", err)
	}
	if _, err := oidc(map[string]string{EnvOIDCSubjectClaim: "email", EnvOIDCAllowMutableSubject: "false"}); err == nil {
		t.Error("email with the override false: accepted")
	}
	// Controls: the default and the documented immutable claims.
	for _, kv := range []map[string]string{nil, {EnvOIDCSubjectClaim: "sub"}, {EnvOIDCSubjectClaim: "oid"}} {
		if _, err := oidc(kv); err != nil {
			t.Errorf("%v: %v", kv, err)
		}
	}
}

// Mode apikey takes the hash lines inline, from a file or from a Secrets
// Manager secret (both reloaded), exactly one of them; the reload interval
// defaults to a minute and is bounded.
func TestLoadAPIKeySources(t *testing.T) {
	const secretARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s3presign-prod-ApiKeys-AbCdEf"
	line := "alice:" + strings.Repeat("ab", 32)
	tests := []struct {
		name string
		kv   map[string]string
		want string // "" = valid
	}{
		{"inline", map[string]string{EnvAPIKeys: line}, ""},
		{"file", map[string]string{EnvAPIKeysFile: "/run/secrets/api-keys"}, ""},
		{"file and interval", map[string]string{EnvAPIKeysFile: "/run/secrets/api-keys", EnvAPIKeysReloadInterval: "10s"}, ""},
		{"both", map[string]string{EnvAPIKeys: line, EnvAPIKeysFile: "/k"}, EnvAPIKeysFile + ": is set together with"},
		{"secret", map[string]string{EnvAPIKeysSecretARN: secretARN}, ""},
		{"secret in another partition", map[string]string{EnvAPIKeysSecretARN: "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:k-AbCdEf"}, ""},
		{"secret and file", map[string]string{EnvAPIKeysFile: "/k", EnvAPIKeysSecretARN: secretARN}, EnvAPIKeysSecretARN + ": is set together with " + EnvAPIKeysFile + ": give the hash lines in exactly one of"},
		{"all three", map[string]string{EnvAPIKeys: line, EnvAPIKeysFile: "/k", EnvAPIKeysSecretARN: secretARN}, EnvAPIKeysSecretARN + ": is set together with " + EnvAPIKeys + " and " + EnvAPIKeysFile},
		{"secret name, not ARN", map[string]string{EnvAPIKeysSecretARN: "s3presign-prod-ApiKeys"}, EnvAPIKeysSecretARN + `: "s3presign-prod-ApiKeys" is not a secret's ARN`},
		{"another service's ARN", map[string]string{EnvAPIKeysSecretARN: "arn:aws:ssm:eu-west-1:123456789012:parameter/k"}, EnvAPIKeysSecretARN + ":"},
		{"ARN without account", map[string]string{EnvAPIKeysSecretARN: "arn:aws:secretsmanager:eu-west-1::secret:k"}, EnvAPIKeysSecretARN + ":"},
		{"none of them", nil, EnvAPIKeys + ": is required in mode apikey (or " + EnvAPIKeysFile + ", or " + EnvAPIKeysSecretARN + ")"},
		{"interval too short", map[string]string{EnvAPIKeys: line, EnvAPIKeysReloadInterval: "1ms"}, EnvAPIKeysReloadInterval + ":"},
		{"interval too long", map[string]string{EnvAPIKeys: line, EnvAPIKeysReloadInterval: "2h"}, EnvAPIKeysReloadInterval + ":"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := map[string]string{EnvAuthMode: "apikey"}
			for k, v := range tt.kv {
				kv[k] = v
			}
			c, err := loadWith(t, kv)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want an error containing %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultAPIKeysReloadInterval
			if v := tt.kv[EnvAPIKeysReloadInterval]; v != "" {
				want, _ = time.ParseDuration(v)
			}
			if c.APIKeysReloadInterval != want || c.APIKeysFile != tt.kv[EnvAPIKeysFile] || c.APIKeysSecretARN != tt.kv[EnvAPIKeysSecretARN] {
				t.Errorf("interval %s file %q secret %q", c.APIKeysReloadInterval, c.APIKeysFile, c.APIKeysSecretARN)
			}
			if arn := tt.kv[EnvAPIKeysSecretARN]; arn != "" && !strings.HasPrefix(arn, "arn:"+strings.SplitN(arn, ":", 3)[1]+":secretsmanager:"+c.APIKeysSecretRegion+":") {
				t.Errorf("secret region %q, want the ARN's", c.APIKeysSecretRegion)
			}
		})
	}
	if _, err := loadWith(t, map[string]string{EnvAuthMode: "none", EnvAPIKeysFile: "/k"}); err == nil || !strings.Contains(err.Error(), EnvAPIKeysFile+": is set, but") {
		t.Errorf("a key file in mode none: %v", err)
	}
	if _, err := loadWith(t, map[string]string{EnvAuthMode: "none", EnvAPIKeysSecretARN: secretARN}); err == nil || !strings.Contains(err.Error(), EnvAPIKeysSecretARN+": is set, but") {
		t.Errorf("a key secret in mode none: %v", err)
	}
}
