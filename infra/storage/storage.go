// Package storage is the stateful construct: the private upload bucket, its
// access-log bucket, the optional KMS key, lifecycle rules, CORS, EventBridge
// notifications and the bucket policy from infra/policy.
package storage

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/internal/iamx"
	"github.com/s3presign/s3presign/infra/internal/removal"
	"github.com/s3presign/s3presign/infra/policy"
)

// Construct ids of the stateful resources. Their logical IDs derive from
// these; a test pins the logical IDs, so renaming one (which would replace
// the bucket) fails the build instead of a deploy.
const (
	// BucketID is the upload bucket's construct id.
	BucketID = "Uploads"
	// LogBucketID is the access-log bucket's construct id.
	LogBucketID = "AccessLogs"
	// KeyID is the KMS key's construct id (encryption "kms" only).
	KeyID = "Key"
)

// Access-log prefixes inside the log bucket.
const (
	// S3LogPrefix receives the upload bucket's server access logs.
	S3LogPrefix = "s3/uploads/"
	// ALBLogPrefix receives the load balancer's access logs (no trailing
	// slash: the ELB API adds one).
	ALBLogPrefix = "alb"
	// FlowLogPrefix receives VPC flow logs (vpcFlowLogs).
	FlowLogPrefix = "vpc/"
)

// ELBLogDeliveryPrincipal is the service that writes load balancer access
// logs. AWS recommends it in every region over the legacy grant to the
// region's Elastic Load Balancing account (which the CDK's logAccessLogs
// still writes for older regions): a service principal carries
// aws:SourceAccount, so the grant can be limited to this account's load
// balancers, and it needs no per-region account id, so access logs work in
// region-agnostic environments too.
const ELBLogDeliveryPrincipal = "logdelivery.elasticloadbalancing.amazonaws.com"

// StorageProps configures NewStorage.
type StorageProps struct {
	// Env is the validated environment.
	Env *config.Environment
}

// Storage is the upload bucket with everything it needs.
type Storage struct {
	constructs.Construct
	// Bucket receives uploads; URLs point at it.
	Bucket awss3.Bucket
	// LogBucket receives the access logs of the bucket, the ALB and the VPC.
	LogBucket awss3.Bucket
	// Key encrypts the bucket when Env.Encryption is "kms"; nil otherwise.
	Key awskms.Key
}

// NewStorage builds the bucket, log bucket and optional key. No physical
// names are set: CloudFormation names them, so two environments (or two
// copies of one) never collide.
func NewStorage(scope constructs.Construct, id string, props *StorageProps) *Storage {
	env := props.Env
	this := constructs.NewConstruct(scope, jsii.String(id))
	s := &Storage{Construct: this}
	// No autoDeleteObjects with "destroy": it adds a Lambda-backed custom
	// resource that empties the bucket. Deleting a stack with a non-empty
	// bucket fails instead, which is the safer surprise.
	removalPolicy := removal.For(env)
	s.LogBucket = newLogBucket(this, env, removalPolicy)
	if env.Encryption == config.EncryptionKMS {
		s.Key = awskms.NewKey(this, jsii.String(KeyID), &awskms.KeyProps{
			Description:       jsii.String("s3presign " + env.Name + " upload bucket encryption"),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     removalPolicy,
		})
	}
	s.Bucket = newUploadBucket(this, env, removalPolicy, s.LogBucket, s.Key)
	return s
}

// newLogBucket is the access-log bucket. Access logs cannot go to a
// KMS-encrypted bucket, so it always uses S3-managed keys. It does not log
// itself (that would loop).
func newLogBucket(this constructs.Construct, env *config.Environment, removalPolicy awscdk.RemovalPolicy) awss3.Bucket {
	b := awss3.NewBucket(this, jsii.String(LogBucketID), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     removalPolicy,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-access-logs"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(env.AccessLogExpiryDays)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
	})
	allowLoadBalancerLogs(b)
	cdknag.NagSuppressions_AddResourceSuppressions(b, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-S1"),
		Reason: jsii.String("This is the access-log bucket itself; logging it to itself would loop and logging it elsewhere needs a third bucket with the same problem."),
	}}, jsii.Bool(false))
	return b
}

// bucketCORS is infra/policy's CORS rules in the CDK's types.
func bucketCORS(env *config.Environment) []*awss3.CorsRule {
	cors := policy.CORS(*env)
	var corsRules []*awss3.CorsRule
	for _, r := range cors.CORSRules {
		methods := make([]awss3.HttpMethods, len(r.AllowedMethods))
		for i, m := range r.AllowedMethods {
			methods[i] = awss3.HttpMethods(m)
		}
		corsRules = append(corsRules, &awss3.CorsRule{
			Id:             jsii.String(r.ID),
			AllowedMethods: &methods,
			AllowedOrigins: jsii.Strings(r.AllowedOrigins...),
			AllowedHeaders: jsii.Strings(r.AllowedHeaders...),
			ExposedHeaders: jsii.Strings(r.ExposeHeaders...),
			MaxAge:         jsii.Number(r.MaxAgeSeconds),
		})
	}
	return corsRules
}

// newUploadBucket is the private upload bucket: versioned, logged to
// logBucket, encrypted with key when there is one, with infra/policy's CORS
// rules and bucket policy and EventBridge notifications.
func newUploadBucket(this constructs.Construct, env *config.Environment, removalPolicy awscdk.RemovalPolicy, logBucket awss3.IBucket, key awskms.IKey) awss3.Bucket {
	encryption := awss3.BucketEncryption_S3_MANAGED
	if key != nil {
		encryption = awss3.BucketEncryption_KMS
	}
	corsRules := bucketCORS(env)
	bucketProps := &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		// enforceSSL stays off: infra/policy's DenyInsecureTransport statement
		// is the same Deny, kept in the shared policy data so that the local
		// stack reports it as left out instead of silently not having it.
		Encryption:             encryption,
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: logBucket,
		ServerAccessLogsPrefix: jsii.String(S3LogPrefix),
		RemovalPolicy:          removalPolicy,
		LifecycleRules: &[]*awss3.LifecycleRule{
			{
				Id:                                  jsii.String("abort-incomplete-multipart-uploads"),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
			},
			{
				Id:                          jsii.String("expire-noncurrent-versions"),
				NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(env.NoncurrentVersionExpiryDays)),
				ExpiredObjectDeleteMarker:   jsii.Bool(true),
			},
		},
	}
	if key != nil {
		bucketProps.EncryptionKey = key
		bucketProps.BucketKeyEnabled = jsii.Bool(true)
	}
	if len(corsRules) > 0 {
		bucketProps.Cors = &corsRules
	}
	bucket := awss3.NewBucket(this, jsii.String(BucketID), bucketProps)
	// EventBridge notifications, set on the CloudFormation resource itself:
	// the L2 eventBridgeEnabled prop would add a Lambda-backed custom
	// resource to do what CloudFormation does natively.
	cfn := bucket.Node().DefaultChild().(awss3.CfnBucket)
	cfn.SetNotificationConfiguration(&awss3.CfnBucket_NotificationConfigurationProperty{
		EventBridgeConfiguration: &awss3.CfnBucket_EventBridgeConfigurationProperty{EventBridgeEnabled: jsii.Bool(true)},
	})

	for _, st := range iamx.Document(policy.BucketPolicy(*env, *bucket.BucketArn())) {
		bucket.AddToResourcePolicy(st)
	}
	return bucket
}

// allowLoadBalancerLogs lets Elastic Load Balancing write access logs of this
// account's load balancers under ALBLogPrefix, and nothing else: the object
// path names the account, and aws:SourceAccount stops another account's load
// balancer from writing here (confused deputy).
func allowLoadBalancerLogs(logBucket awss3.Bucket) {
	account := awscdk.Stack_Of(logBucket).Account()
	logBucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowLoadBalancerAccessLogs"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(ELBLogDeliveryPrincipal), nil)},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  &[]*string{logBucket.ArnForObjects(jsii.String(ALBLogPrefix + "/AWSLogs/" + *account + "/*"))},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": account}},
	}))
}
