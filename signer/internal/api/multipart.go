package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/presign"
	"github.com/s3presign/s3presign/signer/internal/rules"
	"github.com/s3presign/s3presign/signer/internal/uploadtoken"
)

// Multipart uploads, shared by the v1 and the Uppy routes.
//
// The signer starts the upload (CreateMultipartUpload, pinning the key and
// Content-Type), then only signs part URLs: the bytes go from the browser
// to S3. Every later call presents a token (package uploadtoken) that binds
// the S3 upload id to the key, the caller and the declared size; a token for
// another upload or caller is refused before S3 is called, so nothing
// changes. Completion sends If-None-Match: *, so it never replaces an
// object. Uploads left incomplete are aborted by the bucket's lifecycle rule
// after a day; tokens live as long (rules.MultipartLifetime).

// Limits of multipart requests.
const (
	// maxPartsPerBatch caps the part URLs one request signs.
	maxPartsPerBatch = 1000
	// maxETagLen caps an ETag given at completion (S3's are 34 characters).
	maxETagLen = 256
	// listPageSize is the parts asked for per ListParts call.
	listPageSize = 1000
)

// upload is a verified multipart upload: the token's claims.
type upload = uploadtoken.Claims

// multipartReady reports whether the multipart routes can serve.
func (d *Deps) multipartReady() bool { return d.Store != nil && d.Tokens != nil }

// startMultipart creates the multipart upload for key and returns it with
// its token. size is the declared size (0: undeclared) and partSize the
// size of every part but the last (0: the client chooses).
func (d *Deps) startMultipart(r *http.Request, caller, key, contentType string, size, partSize int64) (upload, string, error) {
	ctx, cancel := context.WithTimeout(r.Context(), s3CallTimeout)
	defer cancel()
	out, err := d.Store.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:      aws.String(d.Presigner.Bucket()),
		Key:         aws.String(key),
		ContentType: aws.String(contentType),
	})
	if err != nil {
		return upload{}, "", s3Error(err)
	}
	if aws.ToString(out.UploadId) == "" {
		return upload{}, "", fmt.Errorf("CreateMultipartUpload answered without an upload id")
	}
	u := upload{
		UploadID: aws.ToString(out.UploadId),
		Caller:   caller,
		Key:      key,
		Size:     size,
		PartSize: partSize,
		Expires:  d.Clock().UTC().Truncate(time.Second).Add(rules.MultipartLifetime),
	}
	return u, d.Tokens.Sign(u), nil
}

// verifyUpload checks a token presented with uploadID by the request's
// caller. declared says which kind of upload the route serves: one with a
// declared size (v1) or one without (Uppy).
func (d *Deps) verifyUpload(r *http.Request, token, uploadID string, declared bool) (upload, error) {
	if token == "" {
		return upload{}, &apierr.Error{Code: apierr.Invalid, Message: "token is required"}
	}
	caller, _, err := d.scope(r)
	if err != nil {
		return upload{}, err
	}
	u, err := d.Tokens.Verify(token, uploadID, caller, d.Clock())
	if err != nil {
		return upload{}, err
	}
	if (u.Size > 0) != declared {
		return upload{}, &apierr.Error{Code: apierr.Forbidden, Message: "this upload was started on other routes; continue it there"}
	}
	return u, nil
}

// checkPartNumber checks one part number against the upload's limit.
func checkPartNumber(n int64, limit int) error {
	if n < 1 || n > rules.MaxParts {
		return &apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("part number %d is outside 1..%d", n, rules.MaxParts)}
	}
	if n > int64(limit) {
		return &apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("part number %d is above %d, the number of parts of this upload", n, limit)}
	}
	return nil
}

// partLimit is the highest part number of the upload.
func (d *Deps) partLimit(u upload) int {
	if u.Size > 0 {
		return rules.PartCount(u.Size, u.PartSize)
	}
	return d.Multipart.MaxUndeclaredParts()
}

// checkPartNumbers checks a batch of part numbers: each within the upload's
// limit, none twice, no more than the upload has parts (or a batch holds).
func (d *Deps) checkPartNumbers(u upload, numbers []int64) error {
	limit := d.partLimit(u)
	var probs problems
	switch {
	case len(numbers) == 0:
		probs.add(&apierr.Error{Code: apierr.Invalid, Message: "partNumbers must list at least one part number"})
	case len(numbers) > min(limit, maxPartsPerBatch):
		probs.add(&apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("%d part numbers asked for; this upload has %d parts and one request signs at most %d",
			len(numbers), limit, maxPartsPerBatch)})
		return probs.err()
	}
	seen := make(map[int64]bool, len(numbers))
	for _, n := range numbers {
		if err := checkPartNumber(n, limit); err != nil {
			probs.add(err)
			continue
		}
		if seen[n] {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("part number %d is listed twice", n)})
		}
		seen[n] = true
	}
	return probs.err()
}

// signPart presigns the UploadPart URL of part n. With a declared size the
// URL signs the part's exact Content-Length, so S3 refuses any other body
// length; without one (Uppy) S3's own 5 GiB part limit applies and the total
// is checked at completion.
func (d *Deps) signPart(r *http.Request, u upload, n int64, requested time.Duration) (url string, length int64, expiresAt time.Time, err error) {
	req := presign.Request{
		Method: http.MethodPut,
		Key:    u.Key,
		Query: []presign.Param{
			{Name: "partNumber", Value: strconv.FormatInt(n, 10)},
			{Name: "uploadId", Value: u.UploadID},
			{Name: "x-id", Value: "UploadPart"},
		},
	}
	if u.Size > 0 {
		length = rules.PartLength(u.Size, u.PartSize, int(n))
		req.Headers = []presign.Header{{Name: "content-length", Value: strconv.FormatInt(length, 10)}}
	}
	url, expiresAt, err = d.sign(r, req, requested)
	return url, length, expiresAt, err
}

// listParts returns every uploaded part, in part number order, following
// S3's pages (at most MaxParts parts, so a bounded number of calls).
func (d *Deps) listParts(r *http.Request, u upload) ([]types.Part, error) {
	ctx, cancel := context.WithTimeout(r.Context(), s3CallTimeout)
	defer cancel()
	var parts []types.Part
	in := &s3.ListPartsInput{
		Bucket:   aws.String(d.Presigner.Bucket()),
		Key:      aws.String(u.Key),
		UploadId: aws.String(u.UploadID),
		MaxParts: aws.Int32(listPageSize),
	}
	for page := 0; page <= rules.MaxParts/listPageSize; page++ {
		out, err := d.Store.ListParts(ctx, in)
		if err != nil {
			return nil, s3Error(err)
		}
		parts = append(parts, out.Parts...)
		next := aws.ToString(out.NextPartNumberMarker)
		if !aws.ToBool(out.IsTruncated) || next == "" || next == aws.ToString(in.PartNumberMarker) {
			break
		}
		in.PartNumberMarker = aws.String(next)
	}
	slices.SortFunc(parts, func(a, b types.Part) int { return int(aws.ToInt32(a.PartNumber)) - int(aws.ToInt32(b.PartNumber)) })
	return parts, nil
}

// completedPart is one part listed at completion.
type completedPart struct {
	number int64
	etag   string
}

// checkCompletion checks the parts listed at completion: ETags present and
// printable, part numbers ascending without repeats within the upload's
// limit and, for a declared size, exactly 1..n, so the object has exactly
// the declared size (each part URL signed its length).
func (d *Deps) checkCompletion(u upload, parts []completedPart) error {
	var probs problems
	limit := d.partLimit(u)
	if len(parts) == 0 {
		return &apierr.Error{Code: apierr.Invalid, Message: "parts must list at least one part"}
	}
	if len(parts) > limit {
		return &apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("%d parts listed; this upload has at most %d", len(parts), limit)}
	}
	for i, p := range parts {
		if err := checkPartNumber(p.number, limit); err != nil {
			probs.add(err)
		} else if i > 0 && p.number <= parts[i-1].number {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("part %d: part numbers must ascend without repeats", p.number)})
		}
		if p.etag == "" || len(p.etag) > maxETagLen || !printableASCII(p.etag) {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("part %d: etag must be the ETag S3 returned for the part", p.number)})
		}
	}
	if u.Size > 0 && len(probs) == 0 && (len(parts) != limit || parts[len(parts)-1].number != int64(limit)) {
		probs.add(&apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("parts must list every part, 1 to %d, for the declared size", limit)})
	}
	return probs.err()
}

// completeMultipart completes the upload with the parts the client listed,
// as S3 holds them: it reads the parts from S3 (ListParts) and sends S3's
// ETags, never the client's, after checking the total of S3's sizes. So a
// part replaced after its check cannot slip into the object: S3 refuses a
// completion whose ETag no longer matches. Completion refuses to replace an
// existing object (If-None-Match: *). The route's write deadline is
// extended, as S3 may take long to assemble a large object.
func (d *Deps) completeMultipart(w http.ResponseWriter, r *http.Request, u upload, parts []completedPart) error {
	done, err := d.partsAsStored(r, u, parts)
	if err != nil {
		return err
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(completeTimeout + 10*time.Second))
	ctx, cancel := context.WithTimeout(r.Context(), completeTimeout)
	defer cancel()
	_, err = d.Store.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(d.Presigner.Bucket()),
		Key:             aws.String(u.Key),
		UploadId:        aws.String(u.UploadID),
		IfNoneMatch:     aws.String("*"),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	})
	return s3Error(err)
}

// partsAsStored matches the listed parts with S3's (ListParts) and returns
// them with S3's ETags. A part S3 does not hold is refused (the client may
// upload it and try again). A part whose ETag differs from S3's, or parts
// whose S3 sizes add up to more than the upload may write (its declared
// size, or the multipart limit), abort the upload: someone other than the
// client wrote a part, or wrote more than was allowed.
func (d *Deps) partsAsStored(r *http.Request, u upload, parts []completedPart) ([]types.CompletedPart, error) {
	uploaded, err := d.listParts(r, u)
	if err != nil {
		return nil, err
	}
	stored := make(map[int64]types.Part, len(uploaded))
	for _, p := range uploaded {
		stored[int64(aws.ToInt32(p.PartNumber))] = p
	}
	done := make([]types.CompletedPart, len(parts))
	var total int64
	var missing, differ []int64
	for i, p := range parts {
		sp, ok := stored[p.number]
		switch {
		case !ok:
			missing = append(missing, p.number)
		case unquote(aws.ToString(sp.ETag)) != unquote(p.etag):
			differ = append(differ, p.number)
		default:
			total += aws.ToInt64(sp.Size)
			done[i] = types.CompletedPart{PartNumber: sp.PartNumber, ETag: sp.ETag}
		}
	}
	limit := d.Multipart.MaxSize
	if u.Size > 0 {
		limit = u.Size
	}
	switch {
	case len(differ) > 0:
		return nil, d.abortRefused(r, u, &apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf(
			"the ETags of parts %v are not the ones S3 holds for them, so another writer may have replaced them; the upload was aborted: start again", differ)})
	case len(missing) > 0:
		return nil, &apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("parts %v were not uploaded (or have expired): upload them, then complete again", missing)}
	case total > limit:
		return nil, d.abortRefused(r, u, &apierr.Error{Code: apierr.TooLarge, Message: fmt.Sprintf(
			"the parts add up to %d bytes, above this upload's limit of %d; the upload was aborted", total, limit)})
	case u.Size > 0 && total != u.Size:
		return nil, d.abortRefused(r, u, &apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf(
			"the parts add up to %d bytes, not the declared size of %d; the upload was aborted", total, u.Size)})
	}
	return done, nil
}

// abortRefused aborts an upload whose completion is refused with refusal,
// logging (not returning) a failure to abort: the bucket's lifecycle rule
// removes the upload later anyway.
func (d *Deps) abortRefused(r *http.Request, u upload, refusal error) error {
	if err := d.abortMultipart(r, u); err != nil {
		d.Logger.LogAttrs(r.Context(), slog.LevelError, "abort of a refused multipart upload failed",
			slog.String("id", requestID(r)), slog.String("error", err.Error()))
	}
	return refusal
}

// unquote drops the quotes around an ETag: S3 quotes them, clients may not.
func unquote(etag string) string {
	return strings.TrimSuffix(strings.TrimPrefix(etag, `"`), `"`)
}

// abortMultipart aborts the upload; S3 deletes its parts.
func (d *Deps) abortMultipart(r *http.Request, u upload) error {
	ctx, cancel := context.WithTimeout(r.Context(), s3CallTimeout)
	defer cancel()
	_, err := d.Store.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket:   aws.String(d.Presigner.Bucket()),
		Key:      aws.String(u.Key),
		UploadId: aws.String(u.UploadID),
	})
	return s3Error(err)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
