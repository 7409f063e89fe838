package api

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/rules"
	"github.com/s3presign/s3presign/signer/internal/uploadtoken"
)

// The Uppy routes: the S3 routes of Uppy's Companion server, which the
// @uppy/aws-s3 plugin calls when given companionEndpoint (shapes from
// Companion's controllers/s3.js). Names, types and limits are checked as on
// the v1 routes.
//
// Binding. Uppy sends back the key and the uploadId it was given on every
// call, and nothing else. So the uploadId Uppy gets is not S3's upload id
// but a handle that carries it with a token:
//
//	handle = base64url(S3 upload id) "." token
//
// The token binds the S3 upload id, the key and the caller (package
// uploadtoken); the key Uppy sends must be the token's key. A guessed,
// altered or foreign handle is refused before S3 is called. The key itself
// is the real object key and holds nothing secret.
//
// Sizes. Uppy declares no size when it starts an upload and picks its own
// part size, so part URLs sign no Content-Length; part numbers are capped
// at what the largest allowed object needs in 5 MiB parts. At completion the
// signer reads the parts from S3 and completes with S3's ETags; their sizes
// must add up to at most the multipart limit, and the client's ETags must be
// S3's, else the upload is aborted (see completeMultipart).

// uppyParamsResponse is the answer of GET /s3/params: a presigned POST.
type uppyParamsResponse struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Fields  map[string]string `json:"fields"`
	Expires int64             `json:"expires"` // seconds
}

// handleUppyParams: GET /s3/params?filename=&type=[&metadata[name]=value...].
// The POST policy allows 1 byte to the single-upload limit. Metadata is
// accepted and not stored.
func handleUppyParams(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var probs problems
		q := r.URL.Query()
		name := single(q, "filename", &probs)
		ct := d.checkNameAndType(&probs, "filename", name, single(q, "type", &probs))
		if err := probs.err(); err != nil {
			return err
		}
		caller, key, err := d.newUploadKey(r, name)
		if err != nil {
			return err
		}
		max := d.Rules.Limits().MaxSize
		url, fields, exp, err := d.presignPost(r, postPolicy{key: key, contentType: ct, maxSize: max})
		if err != nil {
			return err
		}
		d.audit(r, caller, OpUploadPost, key, max, exp)
		writeJSON(w, http.StatusOK, &uppyParamsResponse{
			Method: http.MethodPost, URL: url, Fields: fields, Expires: d.secondsUntil(exp),
		})
		return nil
	})
}

// uppyCreateRequest is the body of POST /s3/multipart.
type uppyCreateRequest struct {
	Filename string
	Type     string
	Metadata json.RawMessage // accepted, not stored
}

func (q *uppyCreateRequest) fields() []field {
	return []field{{"filename", &q.Filename}, {"type", &q.Type}, {"metadata", &q.Metadata}}
}

// uppyCreateResponse is the answer of POST /s3/multipart.
type uppyCreateResponse struct {
	Key      string `json:"key"`
	UploadID string `json:"uploadId"` // the handle
}

// handleUppyCreate starts a multipart upload under a new key.
func handleUppyCreate(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var q uppyCreateRequest
		if err := decodeObject(r, q.fields()); err != nil {
			return err
		}
		var probs problems
		ct := d.checkNameAndType(&probs, "filename", q.Filename, q.Type)
		if len(q.Metadata) > 0 && q.Metadata[0] != '{' {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: "metadata must be an object"})
		}
		if err := probs.err(); err != nil {
			return err
		}
		caller, key, err := d.newUploadKey(r, q.Filename)
		if err != nil {
			return err
		}
		u, token, err := d.startMultipart(r, caller, key, ct, 0, 0)
		if err != nil {
			return err
		}
		d.audit(r, caller, OpMultipartCreate, key, d.Multipart.MaxSize, u.Expires)
		writeJSON(w, http.StatusOK, &uppyCreateResponse{Key: key, UploadID: uppyHandle(u.UploadID, token)})
		return nil
	})
}

// uppyHandle joins an S3 upload id and its token into the uploadId Uppy
// gets.
func uppyHandle(uploadID, token string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(uploadID)) + "." + token
}

// uppyUpload verifies the request's handle (path value uploadId) and key
// (query parameter): the handle must hold a token the signer issued for
// this caller, and the key must be the token's. A string that is no handle
// at all is answered as an unknown upload.
func (d *Deps) uppyUpload(r *http.Request) (upload, error) {
	var probs problems
	key := single(r.URL.Query(), "key", &probs)
	if err := probs.err(); err != nil {
		return upload{}, err
	}
	if key == "" {
		return upload{}, &apierr.Error{Code: apierr.Invalid, Message: `the object key must be passed as a query parameter, e.g. "?key=..."`}
	}
	id64, token, ok := strings.Cut(r.PathValue("uploadId"), ".")
	id, err := base64.RawURLEncoding.Strict().DecodeString(id64)
	if !ok || err != nil || len(id) == 0 || token == "" {
		return upload{}, &apierr.Error{Code: apierr.NotFound, Message: "no such multipart upload"}
	}
	u, err := d.verifyUpload(r, token, string(id), false)
	if uploadtoken.IsMalformed(err) {
		return upload{}, &apierr.Error{Code: apierr.NotFound, Message: "no such multipart upload"}
	}
	if err != nil {
		return upload{}, err
	}
	if key != u.Key {
		return upload{}, &apierr.Error{Code: apierr.Forbidden, Message: "key is not the key of this upload"}
	}
	return u, nil
}

// uppyPart is one part as Companion lists it.
type uppyPart struct {
	PartNumber int32  `json:"PartNumber"`
	ETag       string `json:"ETag"`
	Size       int64  `json:"Size"`
}

// handleUppyList: GET /s3/multipart/{uploadId}?key= lists uploaded parts.
func handleUppyList(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		u, err := d.uppyUpload(r)
		if err != nil {
			return err
		}
		parts, err := d.uploadedParts(r, u)
		if err != nil {
			return err
		}
		out := make([]uppyPart, len(parts))
		for i, p := range parts {
			out[i] = uppyPart(p) // the same fields under Companion's names
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

// uppyBatchResponse is the answer of GET /s3/multipart/{uploadId}/batch.
type uppyBatchResponse struct {
	PresignedURLs map[string]string `json:"presignedUrls"`
}

// handleUppyBatch: GET /s3/multipart/{uploadId}/batch?key=&partNumbers=1,2,3.
func handleUppyBatch(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		u, err := d.uppyUpload(r)
		if err != nil {
			return err
		}
		var probs problems
		list := single(r.URL.Query(), "partNumbers", &probs)
		var numbers []int64
		if list == "" && len(probs) == 0 {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: `the part numbers must be passed as a comma separated query parameter, e.g. "?partNumbers=4,6,7"`})
		}
		for s := range strings.SplitSeq(list, ",") {
			if list == "" || len(numbers) > maxPartsPerBatch {
				break
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				probs.add(&apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("part number %q is not a number", clip(s))})
				continue
			}
			numbers = append(numbers, n)
		}
		if err := probs.err(); err != nil {
			return err
		}
		if err := d.checkPartNumbers(u, numbers); err != nil {
			return err
		}
		resp := uppyBatchResponse{PresignedURLs: make(map[string]string, len(numbers))}
		var exp time.Time
		for _, n := range numbers {
			var url string
			url, _, exp, err = d.signPart(r, u, n, 0)
			if err != nil {
				return err
			}
			resp.PresignedURLs[strconv.FormatInt(n, 10)] = url
		}
		d.audit(r, u.Caller, OpMultipartParts, u.Key, int64(len(numbers))*rules.MaxPartSize, exp)
		writeJSON(w, http.StatusOK, &resp)
		return nil
	})
}

// uppySignResponse is the answer of GET /s3/multipart/{uploadId}/{partNumber}.
type uppySignResponse struct {
	URL     string `json:"url"`
	Expires int64  `json:"expires"` // seconds
}

// handleUppySign: GET /s3/multipart/{uploadId}/{partNumber}?key= signs one part.
func handleUppySign(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		u, err := d.uppyUpload(r)
		if err != nil {
			return err
		}
		n, perr := strconv.ParseInt(r.PathValue("partNumber"), 10, 64)
		if perr != nil {
			return &apierr.Error{Code: apierr.Invalid, Message: "the part number must be a number between 1 and 10000"}
		}
		if err := checkPartNumber(n, d.partLimit(u)); err != nil {
			return err
		}
		url, _, exp, err := d.signPart(r, u, n, 0)
		if err != nil {
			return err
		}
		d.audit(r, u.Caller, OpMultipartParts, u.Key, rules.MaxPartSize, exp)
		writeJSON(w, http.StatusOK, &uppySignResponse{URL: url, Expires: d.secondsUntil(exp)})
		return nil
	})
}

// uppyCompleteRequest is the body of POST /s3/multipart/{uploadId}/complete.
type uppyCompleteRequest struct {
	Parts json.RawMessage // [{"PartNumber": n, "ETag": "..."}, ...]
}

// uppyCompletePart is one listed part; Size (from the list route) may come
// along and is ignored.
type uppyCompletePart struct {
	PartNumber *int64  `json:"PartNumber"`
	ETag       *string `json:"ETag"`
}

func (p uppyCompletePart) numberAndETag() (*int64, *string) { return p.PartNumber, p.ETag }

// uppyCompleteResponse is the answer of POST /s3/multipart/{uploadId}/complete.
type uppyCompleteResponse struct {
	Location string `json:"location"`
	Key      string `json:"key"`
}

// handleUppyComplete: POST /s3/multipart/{uploadId}/complete?key=.
func handleUppyComplete(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var q uppyCompleteRequest
		if err := decodeObject(r, []field{{"parts", &q.Parts}}); err != nil {
			return err
		}
		var in []uppyCompletePart
		if len(q.Parts) == 0 || json.Unmarshal(q.Parts, &in) != nil {
			return &apierr.Error{Code: apierr.Invalid, Message: "parts must be an array of {ETag, PartNumber} objects"}
		}
		parts, err := completedParts(in, "PartNumber and ETag")
		if err != nil {
			return err
		}
		slices.SortStableFunc(parts, func(a, b completedPart) int { return cmp.Compare(a.number, b.number) })
		u, err := d.uppyUpload(r)
		if err != nil {
			return err
		}
		if err := d.checkCompletion(u, parts); err != nil {
			return err
		}
		if err := d.completeMultipart(w, r, u, parts); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, &uppyCompleteResponse{Location: d.Presigner.ObjectURL(u.Key), Key: u.Key})
		return nil
	})
}

// handleUppyAbort: DELETE /s3/multipart/{uploadId}?key= answers {}.
func handleUppyAbort(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		u, err := d.uppyUpload(r)
		if err != nil {
			return err
		}
		if err := d.abortMultipart(r, u); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, struct{}{})
		return nil
	})
}
