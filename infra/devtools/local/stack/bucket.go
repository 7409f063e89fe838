package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/policy"
	"github.com/s3presign/s3presign/signer/s3test"
)

// configureBucket makes the bucket look like the deployed one, from the same
// data the CDK app uses (infra/policy): it creates the bucket if needed,
// replaces its CORS rules with policy.CORS(env) and its policy with
// policy.ForVersityGW(env, ...), which adds the explicit Allow for the
// signer's access key. It returns what the versitygw transform left out.
func configureBucket(ctx context.Context, srv *s3test.Server, env config.Environment, bucket, signerAccess string) ([]policy.Omission, error) {
	c := srv.RootClient()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil && !alreadyOurs(err) {
		return nil, fmt.Errorf("create bucket %s: %w", bucket, err)
	}

	cors := policy.CORS(env)
	if len(cors.CORSRules) == 0 {
		if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: &bucket}); err != nil {
			return nil, fmt.Errorf("delete bucket CORS: %w", err)
		}
	} else if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{
		Bucket:            &bucket,
		CORSConfiguration: &types.CORSConfiguration{CORSRules: sdkCORS(cors)},
	}); err != nil {
		return nil, fmt.Errorf("put bucket CORS: %w", err)
	}

	doc, omitted := policy.ForVersityGW(env, bucket, signerAccess)
	body, err := doc.JSON()
	if err != nil {
		return nil, err
	}
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(string(body))}); err != nil {
		return nil, fmt.Errorf("put bucket policy %s: %w", body, err)
	}
	return omitted, nil
}

// sdkCORS converts the policy package's CORS data to the SDK's types.
func sdkCORS(c policy.CORSConfiguration) []types.CORSRule {
	out := make([]types.CORSRule, 0, len(c.CORSRules))
	for _, r := range c.CORSRules {
		out = append(out, types.CORSRule{
			ID:             aws.String(r.ID),
			AllowedMethods: r.AllowedMethods,
			AllowedOrigins: r.AllowedOrigins,
			AllowedHeaders: r.AllowedHeaders,
			ExposeHeaders:  r.ExposeHeaders,
			MaxAgeSeconds:  aws.Int32(int32(r.MaxAgeSeconds)),
		})
	}
	return out
}

// alreadyOurs reports whether a CreateBucket error says the bucket already
// exists (a second run on the same data directory).
func alreadyOurs(err error) bool {
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	return errors.As(err, &owned) || errors.As(err, &exists) ||
		strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") || strings.Contains(err.Error(), "BucketAlreadyExists")
}
