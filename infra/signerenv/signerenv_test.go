package signerenv_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/signerenv"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// Every variable Vars sets is one the signer reads, and they load into the
// environment's settings. (infra/stacks checks the same on the synthesized
// task definitions.)
func TestVarsLoadIntoTheEnvironmentsSettings(t *testing.T) {
	oidc := config.Defaults("staging")
	oidc.AuthMode = config.AuthOIDC
	oidc.OIDCIssuer = "https://issuer.example.com"
	oidc.OIDCAudience = "s3presign"
	noOrigins := config.Defaults("dev")
	noOrigins.AuthMode = config.AuthNone
	noOrigins.AllowedOrigins = nil
	withOrigins := config.Defaults("dev")
	withOrigins.AuthMode = config.AuthNone
	withOrigins.AllowedOrigins = []string{"https://app.example.com", "http://127.0.0.1:8081"}
	withOrigins.MaxSize = 12345
	withOrigins.DefaultExpiry = 90 * time.Second
	withOrigins.MaxExpiry = 61 * time.Minute

	// A stand-in for the API-key secret's ARN infra/service sets next to
	// Vars in mode apikey (the signer reads the secret itself).
	apiKeysSecret := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s3presign-prod-ApiKeys-AbCdEf"
	known := sconfig.Vars()
	for _, env := range []config.Environment{config.Defaults("prod"), oidc, noOrigins, withOrigins} {
		t.Run(env.Name+"/"+env.AuthMode, func(t *testing.T) {
			vars := signerenv.Vars(&env, "bucket-"+env.Name, "eu-west-1")
			for k := range vars {
				if !slices.Contains(known, k) {
					t.Errorf("%s is not a variable the signer reads", k)
				}
			}
			c, err := sconfig.Load(func(k string) string {
				if v, ok := vars[k]; ok {
					return v
				}
				if k == sconfig.EnvAPIKeysSecretARN && env.AuthMode == config.AuthAPIKey {
					return apiKeysSecret
				}
				return ""
			})
			if err != nil {
				t.Fatalf("the signer refuses the environment: %v", err)
			}
			if c.Environment != env.Name || c.Bucket != "bucket-"+env.Name || c.Region != "eu-west-1" || c.KeyPrefix != env.UploadPrefix {
				t.Errorf("environment %q bucket %q region %q prefix %q", c.Environment, c.Bucket, c.Region, c.KeyPrefix)
			}
			if c.Limits.MaxSize != env.MaxSize || c.Limits.DefaultExpiry != env.DefaultExpiry || c.Limits.MaxExpiry != env.MaxExpiry {
				t.Errorf("limits %+v, want the environment's", c.Limits)
			}
			if !slices.Equal(c.CORSOrigins, env.AllowedOrigins) {
				t.Errorf("CORS origins %v, want %v", c.CORSOrigins, env.AllowedOrigins)
			}
			if c.CompatRoutes != env.CompatRoutes || string(c.CompatOverwrite) != env.CompatOverwrite || string(c.CompatUnsized) != env.CompatUnsized {
				t.Errorf("compat routes %v overwrite %q unsized %q", c.CompatRoutes, c.CompatOverwrite, c.CompatUnsized)
			}
			if c.ListenAddr != ":8080" || c.TrustedProxyHops != signerenv.TrustedProxyHops {
				t.Errorf("listen %q, proxy hops %d", c.ListenAddr, c.TrustedProxyHops)
			}
			if c.Production != env.Production {
				t.Errorf("production %v, want the environment's %v", c.Production, env.Production)
			}
			if string(c.AuthMode) != env.AuthMode {
				t.Errorf("auth mode %q, want %q", c.AuthMode, env.AuthMode)
			}
			if env.AuthMode == config.AuthOIDC && (c.OIDCIssuer != env.OIDCIssuer || !slices.Equal(c.OIDCAudiences, []string{env.OIDCAudience})) {
				t.Errorf("OIDC issuer %q audiences %v, want %q [%s]", c.OIDCIssuer, c.OIDCAudiences, env.OIDCIssuer, env.OIDCAudience)
			}
		})
	}
}

// The signer's production guard follows the environment's production flag,
// not its name: an "eu-prod" marked production refuses auth mode none, and a
// "prod" that is not marked accepts it.
func TestSignerProductionGuardFollowsTheFlag(t *testing.T) {
	tests := []struct {
		name       string
		production bool
		refused    bool
	}{
		{"eu-prod", true, true},
		{"eu-prod", false, false}, // control
		{"prod", false, false},
		{"staging", true, true},
	}
	for _, tt := range tests {
		env := config.Defaults(tt.name)
		env.AuthMode = config.AuthNone
		env.Production = tt.production
		vars := signerenv.Vars(&env, "bucket-x", "eu-west-1")
		if got := vars[sconfig.EnvProduction]; got != strconv.FormatBool(tt.production) {
			t.Errorf("%s production %v: %s=%q", tt.name, tt.production, sconfig.EnvProduction, got)
		}
		_, err := sconfig.Load(func(k string) string { return vars[k] })
		if refused := err != nil && strings.Contains(err.Error(), "refused in production"); refused != tt.refused {
			t.Errorf("%s production %v: signer error %v, want refused=%v", tt.name, tt.production, err, tt.refused)
		}
	}
}

func TestDurationsAreWrittenTheShortWay(t *testing.T) {
	tests := map[time.Duration]string{time.Hour: "1h", 168 * time.Hour: "168h", 15 * time.Minute: "15m", 90 * time.Second: "90s", 61 * time.Minute: "61m"}
	for d, want := range tests {
		if got := signerenv.Duration(d); got != want {
			t.Errorf("Duration(%s) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(want); err != nil || back != d {
			t.Errorf("%q does not parse back to %s", want, d)
		}
	}
}
