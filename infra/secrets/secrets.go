// Package secrets is the stateful construct holding the signer's secrets:
// the API-key hash lines (authMode apikey), the multipart token key, and, in
// signing mode "user", an IAM user scoped like the task role with its access
// key in Secrets Manager. It lives in the storage stack so that replacing the
// service never loses a secret.
package secrets

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/internal/iamx"
	"github.com/s3presign/s3presign/infra/internal/removal"
)

// JSON fields of the signing user's secret.
const (
	// FieldAccessKeyID holds the access key id.
	FieldAccessKeyID = "accessKeyId"
	// FieldSecretAccessKey holds the secret access key.
	FieldSecretAccessKey = "secretAccessKey"
)

// PlaceholderAPIKeys is the API-keys secret's first value: a comment and one
// well-formed line whose hash (all zeros) no key can have, so the signer
// starts and refuses every caller until an operator stores real lines from
// `signer apikey new NAME`. Do not edit it: CloudFormation writes the value
// again whenever it changes in the template, which would wipe stored keys.
var PlaceholderAPIKeys = "# Replace with lines from `signer apikey new NAME` (name:sha256hex[:rate[:burst]]), one per line.\n" +
	"placeholder:" + strings.Repeat("0", 64)

// SecretsProps configures NewSecrets.
type SecretsProps struct {
	// Env is the validated environment.
	Env *config.Environment
	// Bucket is the upload bucket (for the signing user's policy).
	Bucket awss3.IBucket
	// Key is the bucket's KMS key, or nil.
	Key awskms.IKey
}

// Secrets holds the signer's secrets.
type Secrets struct {
	constructs.Construct
	// APIKeys holds API-key hash lines; nil unless authMode is apikey.
	APIKeys awssecretsmanager.Secret
	// TokenKey signs multipart upload tokens, shared by every task.
	TokenKey awssecretsmanager.Secret
	// SigningUser signs URLs in signing mode "user"; nil otherwise.
	SigningUser awsiam.User
	// SigningUserKeys holds SigningUser's access key as JSON
	// {accessKeyId, secretAccessKey}; nil unless signing mode is "user".
	SigningUserKeys awssecretsmanager.Secret
}

// NewSecrets builds the secrets the environment needs.
func NewSecrets(scope constructs.Construct, id string, props *SecretsProps) *Secrets {
	env := props.Env
	this := constructs.NewConstruct(scope, jsii.String(id))
	s := &Secrets{Construct: this}
	removalPolicy := removal.For(env)

	// 64 letters and digits: valid standard and URL-safe base64 of 48 bytes.
	s.TokenKey = awssecretsmanager.NewSecret(this, jsii.String("TokenKey"), &awssecretsmanager.SecretProps{
		Description: jsii.String("s3presign " + env.Name + ": key that signs multipart upload tokens, shared by every signer task"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(64),
			ExcludePunctuation: jsii.Bool(true),
			IncludeSpace:       jsii.Bool(false),
		},
		RemovalPolicy: removalPolicy,
	})
	suppressRotation(s.TokenKey, "An HMAC key for short-lived multipart upload tokens; no managed rotation Lambda exists for it. Rotate with put-secret-value and a new deployment (in-flight multipart uploads then restart).")

	if env.AuthMode == config.AuthAPIKey {
		s.APIKeys = awssecretsmanager.NewSecret(this, jsii.String("ApiKeys"), &awssecretsmanager.SecretProps{
			Description:       jsii.String("s3presign " + env.Name + ": API-key hash lines (name:sha256hex[:rate[:burst]]); keys come from `signer apikey new NAME`"),
			SecretStringValue: awscdk.SecretValue_UnsafePlainText(jsii.String(PlaceholderAPIKeys)),
			RemovalPolicy:     removalPolicy,
		})
		suppressRotation(s.APIKeys, "Holds only SHA-256 hashes of API keys that operators issue with `signer apikey new`; rotating means issuing a new key to a caller and adding its line (old and new may coexist), which no rotation Lambda can do.")
	}

	if env.Signing == config.SigningUser {
		s.SigningUser = awsiam.NewUser(this, jsii.String("SigningUser"), nil)
		pol := awsiam.NewPolicy(this, jsii.String("SigningUserPolicy"), &awsiam.PolicyProps{
			Statements: ptrs(iamx.SignerStatements(env, props.Bucket, props.Key)),
			Users:      &[]awsiam.IUser{s.SigningUser},
		})
		cdknag.NagSuppressions_AddResourceSuppressions(pol, &[]*cdknag.NagPackSuppression{iamx.PrefixWildcard(env.UploadPrefix)}, jsii.Bool(false))
		key := awsiam.NewAccessKey(this, jsii.String("SigningUserAccessKey"), &awsiam.AccessKeyProps{User: s.SigningUser})
		s.SigningUserKeys = awssecretsmanager.NewSecret(this, jsii.String("SigningUserKeys"), &awssecretsmanager.SecretProps{
			Description: jsii.String("s3presign " + env.Name + ": access key of the IAM user that signs URLs (signing mode user)"),
			SecretObjectValue: &map[string]awscdk.SecretValue{
				FieldAccessKeyID:     awscdk.SecretValue_UnsafePlainText(key.AccessKeyId()),
				FieldSecretAccessKey: key.SecretAccessKey(),
			},
			RemovalPolicy: removalPolicy,
		})
		suppressRotation(s.SigningUserKeys, "An IAM access key; Secrets Manager has no managed rotation for it. Rotate by bumping the AccessKey's serial in a deployment. Signing mode \"user\" is opt-in, for URLs that must outlive task-role credentials.")
	}
	return s
}

func suppressRotation(secret awssecretsmanager.Secret, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(secret, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SMG4"),
		Reason: jsii.String(reason),
	}}, jsii.Bool(false))
}

func ptrs(sts []awsiam.PolicyStatement) *[]awsiam.PolicyStatement { return &sts }
