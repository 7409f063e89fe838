package stacks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/service"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// sdkVars are read by the AWS SDK's credential chain, not by signer/config.
var sdkVars = []string{service.EnvAWSAccessKeyID, service.EnvAWSSecretAccessKey}

// stubSecrets are stand-ins for what ECS injects from Secrets Manager.
var stubSecrets = map[string]string{
	sconfig.EnvTokenKey:           strings.Repeat("Ab3", 21) + "x", // 64 letters and digits, like the generated one
	service.EnvAWSAccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
	service.EnvAWSSecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}

// TestSignerAcceptsEveryVariableTheInfraSets feeds the container
// environment of every synthesized task definition (plus stand-in secret
// values) into the signer's own config.Load.
func TestSignerAcceptsEveryVariableTheInfraSets(t *testing.T) {
	read := sconfig.Vars()
	for _, s := range []*synthesized{synthEnv(t, "dev"), synthEnv(t, "staging"), synthEnv(t, "prod"), variant(t), bareVariant(t)} {
		env := map[string]string{}
		for name, value := range containerEnv(t, s) {
			switch {
			case name == sconfig.EnvBucket: // a cross-stack reference in the template
				env[name] = "s3presign-" + s.env.Name + "-uploads-example"
			case name == sconfig.EnvRegion: // {"Ref":"AWS::Region"}
				env[name] = "eu-west-1"
			case name == sconfig.EnvAPIKeysSecretARN: // a cross-stack reference
				env[name] = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:SecretsApiKeys-AbCdEf"
			case strings.HasPrefix(value, `"`):
				env[name] = strings.Trim(value, `"`)
			default:
				t.Errorf("%s: %s is an unexpected token %s", s.env.Name, name, value)
			}
		}
		for name := range containerSecrets(t, s) {
			v, ok := stubSecrets[name]
			if !ok {
				t.Fatalf("%s: no stand-in value for secret %s", s.env.Name, name)
			}
			env[name] = v
		}

		for name := range env {
			switch {
			case slices.Contains(read, name), slices.Contains(sdkVars, name):
			default:
				t.Errorf("%s: the infra sets %s, which the signer does not read (typo or removed setting?)", s.env.Name, name)
			}
		}
		if _, err := sconfig.Load(func(k string) string { return env[k] }); err != nil {
			t.Errorf("%s: the signer refuses the infra's environment:\n%v", s.env.Name, err)
		}
	}
}
