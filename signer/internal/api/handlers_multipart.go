package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/rules"
)

// Operations named in audit lines by the POST-policy and multipart routes
// (v1 and Uppy).
const (
	// OpUploadPost is a presigned POST policy (v1 "method": "POST", Uppy params).
	OpUploadPost = "upload_post"
	// OpMultipartCreate is a started multipart upload; its size limit is
	// the declared size (or the multipart limit on the Uppy routes).
	OpMultipartCreate = "multipart_create"
	// OpMultipartParts is a batch of part URLs; its size limit is the sum
	// of the signed part lengths, or on the Uppy routes (which sign none)
	// S3's 5 GiB per part.
	OpMultipartParts = "multipart_parts"
)

// The v1 multipart routes: for files above the single-upload limit, with a
// declared size. The signer fixes the part size, so it knows every part's
// length and signs it; the token returned at creation goes with every later
// call.

// multipartCreateRequest is the body of POST /v1/multipart.
type multipartCreateRequest struct {
	FileName    string // required; must pass the file-name rule
	ContentType string // required; must be allowed and agree with the extension
	Size        *int64 // required; 1..the multipart limit
}

func (q *multipartCreateRequest) fields() []field {
	return []field{{"fileName", &q.FileName}, {"contentType", &q.ContentType}, {"size", &q.Size}}
}

// multipartCreateResponse is the answer of POST /v1/multipart.
type multipartCreateResponse struct {
	Key       string    `json:"key"`
	UploadID  string    `json:"uploadId"`
	PartSize  int64     `json:"partSize"`
	PartCount int       `json:"partCount"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"` // when the token stops working
}

// handleMultipartCreate starts a multipart upload under a new key.
func handleMultipartCreate(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var q multipartCreateRequest
		if err := decodeObject(r, q.fields()); err != nil {
			return err
		}
		var probs problems
		ct := d.checkNameAndType(&probs, "fileName", q.FileName, q.ContentType)
		if q.Size == nil {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: "size is required"})
		} else {
			probs.add(d.Multipart.CheckSize(*q.Size))
		}
		if err := probs.err(); err != nil {
			return err
		}
		caller, key, err := d.newUploadKey(r, q.FileName)
		if err != nil {
			return err
		}
		u, token, err := d.startMultipart(r, caller, key, ct, *q.Size, d.Multipart.PartSize)
		if err != nil {
			return err
		}
		d.audit(r, caller, OpMultipartCreate, key, u.Size, u.Expires)
		writeJSON(w, http.StatusCreated, &multipartCreateResponse{
			Key: key, UploadID: u.UploadID, PartSize: u.PartSize, PartCount: rules.PartCount(u.Size, u.PartSize),
			Token: token, ExpiresAt: u.Expires,
		})
		return nil
	})
}

// partsRequest is the body of POST /v1/multipart/{uploadId}/parts.
type partsRequest struct {
	Token       string
	PartNumbers json.RawMessage // [n, ...]
	ExpiresIn   *int64
}

func (q *partsRequest) fields() []field {
	return []field{{"token", &q.Token}, {"partNumbers", &q.PartNumbers}, {"expiresIn", &q.ExpiresIn}}
}

// partsResponse is the answer of POST /v1/multipart/{uploadId}/parts.
type partsResponse struct {
	Parts     []signedPart `json:"parts"`
	ExpiresAt time.Time    `json:"expiresAt"`
}

// signedPart is one part URL and the headers to send with it.
type signedPart struct {
	PartNumber int64       `json:"partNumber"`
	URL        string      `json:"url"`
	Headers    partHeaders `json:"headers"`
}

// partHeaders are the signed headers of a part upload (host aside).
type partHeaders struct {
	ContentLength string `json:"Content-Length"`
}

// handleMultipartParts signs a batch of part URLs.
func handleMultipartParts(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var q partsRequest
		if err := decodeObject(r, q.fields()); err != nil {
			return err
		}
		var probs problems
		var numbers []int64
		if len(q.PartNumbers) == 0 {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: "partNumbers is required"})
		} else if err := decodeStrict(q.PartNumbers, &numbers); err != nil {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: "partNumbers must be an array of integers"})
		}
		requested, err := expiresIn(q.ExpiresIn)
		probs.add(err)
		if err := probs.err(); err != nil {
			return err
		}
		u, err := d.v1Upload(r, q.Token)
		if err != nil {
			return err
		}
		if err := d.checkPartNumbers(u, numbers); err != nil {
			return err
		}
		resp := partsResponse{Parts: make([]signedPart, len(numbers))}
		var total int64
		for i, n := range numbers {
			url, length, exp, err := d.signPart(r, u, n, requested)
			if err != nil {
				return err
			}
			total += length
			resp.Parts[i] = signedPart{PartNumber: n, URL: url, Headers: partHeaders{ContentLength: strconv.FormatInt(length, 10)}}
			resp.ExpiresAt = exp
		}
		d.audit(r, u.Caller, OpMultipartParts, u.Key, total, resp.ExpiresAt)
		writeJSON(w, http.StatusOK, &resp)
		return nil
	})
}

// listResponse is the answer of GET /v1/multipart/{uploadId}/parts.
type listResponse struct {
	Key   string       `json:"key"`
	Parts []listedPart `json:"parts"`
}

// listedPart is one uploaded part.
type listedPart struct {
	PartNumber int32  `json:"partNumber"`
	ETag       string `json:"etag"`
	Size       int64  `json:"size"`
}

// handleMultipartList lists the parts uploaded so far, to resume.
func handleMultipartList(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		u, err := d.v1QueryUpload(r)
		if err != nil {
			return err
		}
		parts, err := d.uploadedParts(r, u)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, &listResponse{Key: u.Key, Parts: parts})
		return nil
	})
}

// completeRequest is the body of POST /v1/multipart/{uploadId}/complete.
type completeRequest struct {
	Token string
	Parts json.RawMessage // [{"partNumber": n, "etag": "..."}, ...]
}

func (q *completeRequest) fields() []field {
	return []field{{"token", &q.Token}, {"parts", &q.Parts}}
}

// v1Part is one element of completeRequest.Parts.
type v1Part struct {
	PartNumber *int64  `json:"partNumber"`
	ETag       *string `json:"etag"`
}

func (p v1Part) numberAndETag() (*int64, *string) { return p.PartNumber, p.ETag }

// completeResponse is the answer of POST /v1/multipart/{uploadId}/complete.
type completeResponse struct {
	Key string `json:"key"`
}

// handleMultipartComplete completes the upload with every part's ETag.
func handleMultipartComplete(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var q completeRequest
		if err := decodeObject(r, q.fields()); err != nil {
			return err
		}
		var in []v1Part
		if len(q.Parts) == 0 {
			return &apierr.Error{Code: apierr.Invalid, Message: "parts is required"}
		}
		if err := decodeStrict(q.Parts, &in); err != nil {
			return &apierr.Error{Code: apierr.Invalid, Message: `parts must be an array of {"partNumber": n, "etag": "..."} objects`}
		}
		parts, err := completedParts(in, "partNumber and etag")
		if err != nil {
			return err
		}
		u, err := d.v1Upload(r, q.Token)
		if err != nil {
			return err
		}
		if err := d.checkCompletion(u, parts); err != nil {
			return err
		}
		if err := d.completeMultipart(w, r, u, parts); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, &completeResponse{Key: u.Key})
		return nil
	})
}

// handleMultipartAbort aborts the upload; S3 deletes its parts.
func handleMultipartAbort(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		u, err := d.v1QueryUpload(r)
		if err != nil {
			return err
		}
		if err := d.abortMultipart(r, u); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// decodeStrict decodes data into v, refusing unknown object members and
// anything after the value.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the value")
	}
	return nil
}

// singleParam returns a query parameter that must be given at most once
// ("" when absent).
func singleParam(r *http.Request, name string) (string, error) {
	var probs problems
	v := single(r.URL.Query(), name, &probs)
	return v, probs.err()
}
