package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/internal/creds"
)

// secretReadTimeout bounds one read of the API-key secret, the SDK's
// retries included, so a hung endpoint delays a reload but never stops the
// reload loop.
const secretReadTimeout = 10 * time.Second

// secretKeys reads the hash lines from a Secrets Manager secret's string
// (EnvAPIKeysSecretARN). The deployed signer reads it itself, rather than
// have ECS inject it at task start, so that a key removed from the secret
// in AWS stops working within one reload interval, without a restart.
type secretKeys struct {
	arn    string
	client *secretsmanager.Client
}

func (s secretKeys) name() string { return config.EnvAPIKeysSecretARN + ": " + s.arn }

// read fetches the secret's current string. Errors name the setting and
// the ARN; Secrets Manager's error answers never hold the secret.
func (s secretKeys) read(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, secretReadTimeout)
	defer cancel()
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.arn)})
	if err != nil {
		return "", fmt.Errorf("%s: reading %s: %w", config.EnvAPIKeysSecretARN, s.arn, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("%s: %s has no string value (a binary secret?): store the hash lines as its string", config.EnvAPIKeysSecretARN, s.arn)
	}
	if len(*out.SecretString) > maxKeyFileBytes {
		return "", fmt.Errorf("%s: %s is larger than %d bytes", config.EnvAPIKeysSecretARN, s.arn, maxKeyFileBytes)
	}
	return *out.SecretString, nil
}

// newSecretsClient returns the Secrets Manager client that reads the
// API-key secret: in the secret's own region (from its ARN), at the SDK's
// regional HTTPS endpoint (no endpoint setting, and Options, unlike the
// SDK's shared config, read no AWS_ENDPOINT_URL* variables), signed with
// creds. Tests pass optFns to point it at a stand-in server.
func newSecretsClient(cfg config.Config, creds aws.CredentialsProvider, optFns ...func(*secretsmanager.Options)) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region:      cfg.APIKeysSecretRegion,
		Credentials: creds,
	}, optFns...)
}

// keySecretClient builds the client that reads the API-key secret, with the
// credentials keySecretCredentials chooses (src's, by default).
func keySecretClient(getenv func(string) string, cfg config.Config, src *creds.Source, clock func() time.Time, deps runDeps) (*secretsmanager.Client, error) {
	signing := aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		return src.Retrieve(ctx, clock())
	})
	p, err := keySecretCredentials(getenv, signing)
	if err != nil {
		return nil, err
	}
	var opts []func(*secretsmanager.Options)
	if deps.secrets != nil {
		opts = append(opts, deps.secrets)
	}
	return newSecretsClient(cfg, p, opts...), nil
}

// keySecretCredentials chooses the credentials that read the API-key
// secret. The task role is granted the read; in signing mode "user" the
// signing credentials are instead an IAM user's keys (AWS_ACCESS_KEY_ID),
// scoped to objects under the upload prefix, so the task role's container
// credentials are used when ECS provides them. Otherwise (signing with the
// task role, or outside ECS) the signing credentials read it.
func keySecretCredentials(getenv func(string) string, signing aws.CredentialsProvider) (aws.CredentialsProvider, error) {
	if getenv("AWS_ACCESS_KEY_ID") == "" {
		return signing, nil
	}
	p, err := containerCredentials(getenv)
	if err != nil || p != nil {
		return p, err
	}
	return signing, nil
}
