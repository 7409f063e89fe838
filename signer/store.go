package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/internal/creds"
	"github.com/s3presign/s3presign/signer/internal/uploadtoken"
)

// newStore returns the S3 client behind the multipart routes: the same
// endpoint, region, addressing and credentials as the URLs the signer
// issues, and checksums only where an operation requires them.
func newStore(cfg config.Config, src *creds.Source, clock func() time.Time) *s3.Client {
	return s3.New(s3.Options{
		Region:       cfg.Region,
		BaseEndpoint: aws.String(cfg.Endpoint),
		UsePathStyle: cfg.PathStyle,
		Credentials: aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
			return src.Retrieve(ctx, clock())
		}),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// newTokens returns the multipart token signer: from the configured key, or
// with a random one, whose tokens die with the process and are not accepted
// by other tasks (so multipart uploads need sticky routing or one task).
func newTokens(cfg config.Config, log *slog.Logger) (*uploadtoken.Signer, error) {
	if cfg.TokenKey != nil {
		return uploadtoken.New(cfg.TokenKey)
	}
	log.Warn(config.EnvTokenKey + " is not set: multipart upload tokens use a random key and die with this process; set it when more than one signer runs")
	return uploadtoken.NewRandom()
}
