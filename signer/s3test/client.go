package s3test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Client returns an S3 client for the server signing with the given static
// credentials: path-style addressing, the server as base endpoint, and
// checksums only where an operation requires them.
func (s *Server) Client(access, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:                     s.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(access, secret, ""),
		BaseEndpoint:               aws.String(s.Endpoint),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// RootClient is Client with the root credentials.
func (s *Server) RootClient() *s3.Client {
	return s.Client(s.RootAccessKey, s.RootSecret)
}

// RootCredentials returns the root user's credentials.
func (s *Server) RootCredentials() aws.Credentials {
	return aws.Credentials{AccessKeyID: s.RootAccessKey, SecretAccessKey: s.RootSecret, Source: "s3test"}
}

// CreateBucket creates bucket name through the S3 API as owner, who then owns
// it. owner is the root user or a user with role userplus or admin.
func (s *Server) CreateBucket(owner aws.Credentials, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	_, err := s.Client(owner.AccessKeyID, owner.SecretAccessKey).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name})
	if err != nil {
		return fmt.Errorf("s3test: create bucket %q as %s: %w", name, owner.AccessKeyID, err)
	}
	return nil
}
