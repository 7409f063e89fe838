package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/objectkey"
)

// Steps the v1, multipart and Uppy handlers share.

// handle adapts a handler that answers, or returns the error to answer
// with, to an http.HandlerFunc: every route's errors are written by
// writeError, in one place.
func (d *Deps) handle(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, d.Logger, err)
		}
	}
}

// checkNameAndType checks a file name and content type as the upload routes
// do and returns the canonical content type.
func (d *Deps) checkNameAndType(probs *problems, nameField, name, contentType string) string {
	nameErr := objectkey.CheckName(nameField, name)
	probs.add(nameErr)
	ct, ctErr := d.Rules.ContentType(contentType)
	probs.add(ctErr)
	if nameErr == nil && ctErr == nil {
		probs.add(d.Rules.MatchName(ct, name))
	}
	return ct
}

// newUploadKey returns the request's caller and a new server-generated key
// for its upload of a file named name.
func (d *Deps) newUploadKey(r *http.Request, name string) (caller, key string, err error) {
	caller, _, err = d.scope(r)
	if err != nil {
		return "", "", err
	}
	key, err = d.Keys.Upload(caller, name)
	if err != nil {
		return "", "", err
	}
	return caller, key, nil
}

// secondsUntil returns the time from the injected clock's now to t in whole
// seconds (rounded), as Companion's "expires" fields give it.
func (d *Deps) secondsUntil(t time.Time) int64 {
	return int64(t.Sub(d.Clock()).Round(1e9).Seconds())
}

// v1Upload verifies the token presented on a v1 multipart route for the
// upload named by the path value uploadId.
func (d *Deps) v1Upload(r *http.Request, token string) (upload, error) {
	return d.verifyUpload(r, token, r.PathValue("uploadId"), true)
}

// v1QueryUpload is v1Upload with the token taken from the query parameter
// "token" (given at most once).
func (d *Deps) v1QueryUpload(r *http.Request) (upload, error) {
	token, err := singleParam(r, "token")
	if err != nil {
		return upload{}, err
	}
	return d.v1Upload(r, token)
}

// completedParts turns the parts listed at completion into completedParts.
// A part without a number or an ETag is refused; names lists the route's
// own field names for them (e.g. "partNumber and etag").
func completedParts[P interface{ numberAndETag() (*int64, *string) }](in []P, names string) ([]completedPart, error) {
	parts := make([]completedPart, len(in))
	for i, p := range in {
		n, etag := p.numberAndETag()
		if n == nil || etag == nil {
			return nil, &apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("parts[%d] needs %s", i, names)}
		}
		parts[i] = completedPart{number: *n, etag: *etag}
	}
	return parts, nil
}

// uploadedParts lists the parts uploaded so far (ListParts), in part number
// order, for the list routes.
func (d *Deps) uploadedParts(r *http.Request, u upload) ([]listedPart, error) {
	parts, err := d.listParts(r, u)
	if err != nil {
		return nil, err
	}
	out := make([]listedPart, len(parts))
	for i, p := range parts {
		out[i] = listedPart{PartNumber: aws.ToInt32(p.PartNumber), ETag: aws.ToString(p.ETag), Size: aws.ToInt64(p.Size)}
	}
	return out, nil
}
