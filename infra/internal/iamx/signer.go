package iamx

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/policy"
)

// SignerStatements are the only rights of whatever signs URLs (the task role
// or the IAM user): policy.SignerStatement on the bucket, plus the KMS
// statement when the bucket has a customer key.
//
// The bucket's grantPut/grantRead are not used: they grant more than this
// (s3:PutObjectLegalHold, s3:PutObjectRetention, s3:PutObjectTagging,
// s3:PutObjectVersionTagging, s3:Abort*, s3:GetObject* (versions, ACLs,
// tags), s3:GetBucket*, s3:List* on the whole bucket, and kms:Encrypt/ReEncrypt*).
func SignerStatements(env *config.Environment, bucket awss3.IBucket, key awskms.IKey) []awsiam.PolicyStatement {
	out := []awsiam.PolicyStatement{Statement(policy.SignerStatement(*env, *bucket.BucketArn()))}
	if key != nil {
		out = append(out, Statement(policy.SignerKMSStatement(*key.KeyArn(), *awscdk.Aws_REGION())))
	}
	return out
}
