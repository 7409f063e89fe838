package stack

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3presign/s3presign/infra/config"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// The variables the local stack gives the signer are ones the signer reads,
// and they load into the settings of the environment, pointed at the local
// S3 server.
func TestSignerEnvLoadsIntoTheEnvironmentsSettings(t *testing.T) {
	env := config.Defaults("dev")
	env.AuthMode = config.AuthNone
	env.AllowedOrigins = []string{"http://127.0.0.1:8081", "http://localhost:8081"}
	env.MaxSize = 12345
	env.DefaultExpiry = 15 * time.Minute
	env.MaxExpiry = time.Hour
	creds := aws.Credentials{AccessKeyID: "AK", SecretAccessKey: "SK"}
	vars := signerEnv(env, "s3presign-local", "http://127.0.0.1:7070", "us-east-1", "127.0.0.1:8080", creds,
		map[string]string{sconfig.EnvLogLevel: "debug"})

	m := map[string]string{}
	known := sconfig.Vars()
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
		if strings.HasPrefix(k, "S3PRESIGN_") && !slices.Contains(known, k) {
			t.Errorf("%s is not a variable the signer reads", k)
		}
	}
	c, err := sconfig.Load(func(k string) string { return m[k] })
	if err != nil {
		t.Fatalf("signer refuses the local settings: %v", err)
	}
	if c.Endpoint != "http://127.0.0.1:7070" || !c.PathStyle || c.Region != "us-east-1" || c.Bucket != "s3presign-local" {
		t.Errorf("target %+v, want path-style http://127.0.0.1:7070 us-east-1 s3presign-local", c.Target())
	}
	if !slices.Equal(c.CORSOrigins, env.AllowedOrigins) {
		t.Errorf("signer CORS origins %v, want %v", c.CORSOrigins, env.AllowedOrigins)
	}
	if c.Limits.MaxSize != 12345 || c.Limits.DefaultExpiry != 15*time.Minute || c.Limits.MaxExpiry != time.Hour {
		t.Errorf("limits %+v, want the environment's", c.Limits)
	}
	if c.KeyPrefix != env.UploadPrefix || c.ListenAddr != "127.0.0.1:8080" {
		t.Errorf("prefix %q listen %q", c.KeyPrefix, c.ListenAddr)
	}
	if c.TrustedProxyHops != 0 {
		t.Errorf("trusted proxy hops %d, want 0 (no load balancer in front locally)", c.TrustedProxyHops)
	}
	if c.LogLevel.String() != "DEBUG" {
		t.Errorf("extra variables not applied: log level %s, want DEBUG", c.LogLevel)
	}
	if m["AWS_ACCESS_KEY_ID"] != "AK" || m["AWS_SECRET_ACCESS_KEY"] != "SK" {
		t.Error("the signer user's keys are not in the environment")
	}
}

// A missing signer binary names the command that builds it.
func TestStartSignerWithoutBinarySaysMakeBuild(t *testing.T) {
	_, err := startSigner(context.Background(), "/nonexistent/signer", "", func(string) []string { return nil }, nil)
	if err == nil || !strings.Contains(err.Error(), "start /nonexistent/signer") || !strings.Contains(err.Error(), "run `make build` first") {
		t.Errorf("error %v, want one naming the binary and `make build`", err)
	}
}
