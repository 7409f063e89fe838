// Package scan reads the malware scan result GuardDuty Malware Protection
// for S3 leaves on an object, so the signer can refuse a download URL for a
// file that is not known to be clean instead of handing out one that the
// bucket policy will refuse.
//
// With tagging enabled in the protection plan, GuardDuty tags every object it
// scans with GuardDutyMalwareScanStatus = NO_THREATS_FOUND, THREATS_FOUND,
// UNSUPPORTED, ACCESS_DENIED or FAILED. An object without the tag has not
// been scanned yet.
package scan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3presign/s3presign/signer/config"
)

// TagKey is the object tag GuardDuty Malware Protection for S3 writes.
const TagKey = config.ScanStatusTag

// The values GuardDuty documents for TagKey.
const (
	// StatusClean: no threat found. The only status that lets a file out.
	StatusClean = config.ScanStatusClean
	// StatusThreats: a potential threat was found.
	StatusThreats = "THREATS_FOUND"
	// StatusUnsupported: skipped (password-protected, too large, ...).
	StatusUnsupported = "UNSUPPORTED"
	// StatusAccessDenied: GuardDuty's role could not read the object.
	StatusAccessDenied = "ACCESS_DENIED"
	// StatusFailed: GuardDuty failed to scan the object.
	StatusFailed = "FAILED"
)

// Verdict is what the signer does with an object's scan result.
type Verdict int

const (
	// Pending: no scan result yet; the client may retry later.
	Pending Verdict = iota
	// Clean: scanned, no threat found.
	Clean
	// Blocked: anything else (a threat, or a scan that could not vouch for
	// the file); it is never served.
	Blocked
)

// Result is an object's scan status.
type Result struct {
	// Status is the tag's value; "" when the object has no tag yet.
	Status string
}

// Verdict classifies the result: only StatusClean is Clean.
func (r Result) Verdict() Verdict {
	switch r.Status {
	case "":
		return Pending
	case StatusClean:
		return Clean
	default:
		return Blocked
	}
}

// TagReader is the one S3 call the check makes; *s3.Client implements it.
// It needs s3:GetObjectTagging on the upload prefix.
type TagReader interface {
	GetObjectTagging(ctx context.Context, in *s3.GetObjectTaggingInput, optFns ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error)
}

// Errors of Check. Other errors (such as AccessDenied, a fault of the
// signer's own role) are the service's fault.
var (
	// ErrNoSuchObject: the key names no object.
	ErrNoSuchObject = errors.New("no such object")
	// ErrUnavailable: S3 did not answer in time, throttled, or failed on its side.
	ErrUnavailable = errors.New("S3 unavailable")
)

// DefaultTimeout bounds one tag lookup (with the SDK's retries).
const DefaultTimeout = 5 * time.Second

// Checker looks up scan results in one bucket.
type Checker struct {
	client  TagReader
	bucket  string
	timeout time.Duration
}

// New returns a checker for bucket. timeout <= 0 is DefaultTimeout.
func New(client TagReader, bucket string, timeout time.Duration) (*Checker, error) {
	if client == nil || bucket == "" {
		return nil, errors.New("scan: a client and a bucket are required")
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Checker{client: client, bucket: bucket, timeout: timeout}, nil
}

// Check returns the scan result of key. Errors wrap ErrNoSuchObject or
// ErrUnavailable when they are those; the cause is kept for the log.
func (c *Checker) Check(ctx context.Context, key string) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	out, err := c.client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &c.bucket, Key: &key})
	if err != nil {
		return Result{}, classify(err)
	}
	for _, t := range out.TagSet {
		if t.Key != nil && *t.Key == TagKey && t.Value != nil {
			return Result{Status: *t.Value}, nil
		}
	}
	return Result{}, nil
}

// classify wraps err with ErrNoSuchObject or ErrUnavailable when it is one.
func classify(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return fmt.Errorf("%w: %v", ErrNoSuchObject, err)
		case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout":
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		if ae.ErrorFault() == smithy.FaultServer {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		return fmt.Errorf("get object tagging: %w", err)
	}
	// No API error: the call did not get an answer (network, timeout, canceled).
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}
