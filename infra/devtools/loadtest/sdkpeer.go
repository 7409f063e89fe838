package loadtest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The SDK peer answers the compat upload request ({"url"} for a PUT that
// signs Content-Type) by presigning with aws-sdk-go-v2's PresignClient,
// behind a handler as minimal as the floor's: no routing, validation,
// logging or metrics. Side by side with the floor and the signer, it shows
// what signing through the SDK alone costs on the same machine.

// sdkPeerExpiry is the URLs' lifetime, the signer's default.
const sdkPeerExpiry = 5 * time.Minute

// NewSDKPresigner returns the SDK's PresignClient for region with static
// credentials behind the SDK's credentials cache, as an application using
// the SDK would set it up.
func NewSDKPresigner(region, accessKeyID, secretAccessKey string) *s3.PresignClient {
	creds := aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey, Source: "loadtest"}, nil
	}))
	return s3.NewPresignClient(s3.New(s3.Options{Region: region, Credentials: creds}))
}

// SDKPeerHandler answers every path but /readyz with a presigned PUT of
// "uploads/<fileName>.<extension>" in bucket, signing Content-Type
// image/png.
func SDKPeerHandler(p *s3.PresignClient, bucket string) http.Handler {
	ready := []byte(`{"status":"ready"}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		if r.URL.Path == "/readyz" {
			_, _ = w.Write(ready)
			return
		}
		q := r.URL.Query()
		key := "uploads/" + q.Get("fileName") + "." + q.Get("extension")
		req, err := p.PresignPutObject(r.Context(), &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(key), ContentType: aws.String("image/png"),
		}, s3.WithPresignExpires(sdkPeerExpiry))
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error":"presign failed"}`)
			return
		}
		// A presigned URL holds no '"' or '\\': it needs no JSON escaping.
		_, _ = io.WriteString(w, `{"url":"`+req.URL+`"}`)
	})
}

// ServeSDKPeer serves SDKPeerHandler on addr until ctx ends, with the
// Express baseline's settings from getenv (see ExpressEnv): AWS_REGION,
// S3_BUCKET and the static credentials.
func ServeSDKPeer(ctx context.Context, addr string, getenv func(string) string, stderr io.Writer) error {
	region, bucket := getenv("AWS_REGION"), getenv("S3_BUCKET")
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || bucket == "" || id == "" || secret == "" {
		return errors.New("sdk-peer: AWS_REGION, S3_BUCKET, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set")
	}
	h := SDKPeerHandler(NewSDKPresigner(region, id, secret), bucket)
	return serveUntil(ctx, "sdk-peer", addr, h, stderr, slog.String("bucket", bucket))
}
