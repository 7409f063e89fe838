package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// ObjectStore is the part of the S3 API the multipart routes call with the
// signer's own credentials. *s3.Client implements it. Only actions the
// signer's role holds on the upload prefix are used: s3:PutObject (create
// and complete), s3:ListMultipartUploadParts and s3:AbortMultipartUpload.
type ObjectStore interface {
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	ListParts(ctx context.Context, in *s3.ListPartsInput, optFns ...func(*s3.Options)) (*s3.ListPartsOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

// Time limits of calls to S3.
const (
	// s3CallTimeout bounds one create, list or abort call (with the SDK's
	// retries).
	s3CallTimeout = 10 * time.Second
	// completeTimeout bounds CompleteMultipartUpload, which S3 may take
	// minutes to answer for a large object; the route's write deadline is
	// extended to match.
	completeTimeout = 5 * time.Minute
)

// s3Failure is an S3 error turned into an API error: a code and a message
// for the client, and the cause for the log.
type s3Failure struct {
	code, message string
	cause         error
}

func (e *s3Failure) Error() string {
	return e.message + ": " + e.cause.Error()
}

// ErrorCode returns the API code.
func (e *s3Failure) ErrorCode() string { return e.code }

// PublicMessage returns the message without the cause.
func (e *s3Failure) PublicMessage() string { return e.message }

func (e *s3Failure) Unwrap() error { return e.cause }

// s3Error maps an error from an S3 call to an API error: the one place that
// does. S3's own error codes name what the client got wrong (an unknown
// upload, a part or ETag that does not match, an object that already
// exists); throttling and network failures are unavailable; anything else
// (such as AccessDenied, a fault of the signer's role) is internal. The
// cause is logged, never shown.
func s3Error(err error) error {
	if err == nil {
		return nil
	}
	fail := func(code, msg string) error { return &s3Failure{code: code, message: msg, cause: err} }
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchUpload":
			return fail(apierr.NotFound, "no such multipart upload: it was completed, aborted or has expired")
		case "InvalidPart":
			return fail(apierr.Invalid, "a listed part was not uploaded, or its ETag does not match the uploaded part")
		case "InvalidPartOrder":
			return fail(apierr.Invalid, "parts must be listed in ascending part number order")
		case "EntityTooSmall":
			return fail(apierr.Invalid, "every part but the last must be at least 5 MiB")
		case "EntityTooLarge":
			return fail(apierr.TooLarge, "the object would be larger than S3 allows")
		case "PreconditionFailed":
			return fail(apierr.Conflict, "an object already exists under this key")
		case "ConditionalRequestConflict", "OperationAborted":
			return fail(apierr.Conflict, "another request changed this object or upload at the same time; try again")
		case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed":
			return fail(apierr.Unavailable, "storage is unavailable; try again shortly")
		}
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) && re.HTTPStatusCode() >= http.StatusInternalServerError {
			return fail(apierr.Unavailable, "storage is unavailable; try again shortly")
		}
		return fail(apierr.Internal, "storage refused the request")
	}
	// Transport failures, time-outs and credentials that do not resolve.
	return fail(apierr.Unavailable, "storage is unreachable; try again shortly")
}
