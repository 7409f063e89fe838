package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/scan"
	"github.com/s3presign/s3presign/signer/uploadevent"
)

// ObjectHeader reads an object's metadata with the signer's own credentials
// (s3:GetObject on the upload prefix covers HEAD). *s3.Client implements it.
type ObjectHeader interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// uploadStatusRequest is the body of POST /v1/uploads/status.
type uploadStatusRequest struct {
	Key string // required; under the caller's prefix or a prefix shared with it
}

func (q *uploadStatusRequest) fields() []field { return []field{{"key", &q.Key}} }

// uploadStatusResponse is the answer of POST /v1/uploads/status: what S3 and the
// malware scan say about the object, never a URL. Scan uses the upload
// event's vocabulary (uploadevent.ScanOff, ScanPending or GuardDuty's
// status), and Ready is what an "upload ready" event would say.
type uploadStatusResponse struct {
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	ContentType  string    `json:"contentType,omitempty"`
	ETag         string    `json:"etag,omitempty"`
	LastModified time.Time `json:"lastModified,omitzero"`
	Scan         string    `json:"scan"`
	Ready        bool      `json:"ready"`
}

// handleUploadStatus answers "is it there?" for a page that waits for an
// upload without a queue: the object's size, type and scan state from a
// HEAD and, when the scan check is on, its scan tag. Keys follow the
// download rules (the caller's own prefix or a shared one).
func handleUploadStatus(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var q uploadStatusRequest
		if err := decodeObject(r, q.fields()); err != nil {
			return err
		}
		caller, scope, err := d.scope(r)
		if err != nil {
			return err
		}
		if err := d.readable(q.Key, caller, scope); err != nil {
			return err
		}
		resp, err := d.headObject(r.Context(), q.Key)
		if err != nil {
			return err
		}
		if resp.Scan, err = d.scanState(r.Context(), q.Key); err != nil {
			return err
		}
		resp.Ready = resp.Scan == uploadevent.ScanOff || resp.Scan == scan.StatusClean
		writeJSON(w, http.StatusOK, resp)
		return nil
	})
}

// headObject reads the object's size, type, ETag and time.
func (d *Deps) headObject(ctx context.Context, key string) (*uploadStatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, s3CallTimeout)
	defer cancel()
	bucket := d.Presigner.Bucket()
	out, err := d.Head.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchKey") {
			return nil, &s3Failure{code: apierr.NotFound, message: "no such object: the upload has not completed, or the key is wrong", cause: err}
		}
		return nil, s3Error(err)
	}
	resp := &uploadStatusResponse{Key: key}
	if out.ContentLength != nil {
		resp.Size = *out.ContentLength
	}
	if out.ContentType != nil {
		resp.ContentType = *out.ContentType
	}
	if out.ETag != nil {
		resp.ETag = trimQuotes(*out.ETag)
	}
	if out.LastModified != nil {
		resp.LastModified = out.LastModified.UTC()
	}
	return resp, nil
}

// scanState is the object's scan result: uploadevent.ScanOff when the scan
// check is off, ScanPending before GuardDuty tags it, else the tag's value.
func (d *Deps) scanState(ctx context.Context, key string) (string, error) {
	if d.Scan == nil {
		return uploadevent.ScanOff, nil
	}
	res, err := d.Scan.Check(ctx, key)
	switch {
	case errors.Is(err, scan.ErrNoSuchObject):
		return "", &scanFailure{apierr.NotFound, "no such object", err}
	case errors.Is(err, scan.ErrUnavailable):
		return "", &scanFailure{apierr.Unavailable, "cannot read the malware scan result now; try again", err}
	case err != nil:
		return "", fmt.Errorf("malware scan state of %q: %w", key, err)
	}
	if res.Status == "" {
		return uploadevent.ScanPending, nil
	}
	return res.Status, nil
}

func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
