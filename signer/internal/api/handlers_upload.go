package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/presign"
)

// uploadRequest is the body of POST /v1/uploads.
type uploadRequest struct {
	FileName    string // required; must pass the file-name rule
	ContentType string // required; must be allowed and agree with the extension
	Size        *int64 // required for PUT (signed as Content-Length); optional for POST
	SHA256      string // optional; base64 SHA-256, signed as x-amz-checksum-sha256
	Method      string // optional; "PUT" (the default) or "POST" (a form upload, see uploadPost)
	ExpiresIn   *int64 // optional; requested lifetime in seconds
}

func (q *uploadRequest) fields() []field {
	return []field{
		{"fileName", &q.FileName},
		{"contentType", &q.ContentType},
		{"size", &q.Size},
		{"sha256", &q.SHA256},
		{"method", &q.Method},
		{"expiresIn", &q.ExpiresIn},
	}
}

// uploadResponse is the answer of POST /v1/uploads.
type uploadResponse struct {
	Key       string        `json:"key"`
	URL       string        `json:"url"`
	Method    string        `json:"method"`
	Headers   uploadHeaders `json:"headers"`
	ExpiresAt time.Time     `json:"expiresAt"`
}

// uploadHeaders are the headers the client must send with the PUT: exactly
// the signed ones (host aside, which every client sends).
type uploadHeaders struct {
	ContentType    string `json:"Content-Type"`
	ContentLength  string `json:"Content-Length"`
	ChecksumSHA256 string `json:"x-amz-checksum-sha256,omitempty"`
	IfNoneMatch    string `json:"If-None-Match,omitempty"`
}

// handleUpload issues a presigned PUT for a new object under a
// server-generated key. The URL signs Content-Type, Content-Length (so S3
// refuses any other body length: the size is the cap) and If-None-Match: *
// (so it can never replace an object), plus x-amz-checksum-sha256 when sha256
// is given. A PUT without size is refused: nothing else would cap it below
// S3's 5 GiB. A client that cannot state the size uses POST, whose policy
// caps the body.
func handleUpload(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var q uploadRequest
		if err := decodeObject(r, q.fields()); err != nil {
			return err
		}
		var probs problems
		ct := d.checkNameAndType(&probs, "fileName", q.FileName, q.ContentType)
		if q.Size != nil {
			probs.add(d.Rules.CheckSize(*q.Size))
		} else if q.Method != http.MethodPost {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: `size is required for a PUT upload: send "size" with the file's length in bytes (a browser's file.size); a client that cannot know it sends "method":"POST"`})
		}
		if q.SHA256 != "" {
			probs.add(checkSHA256(q.SHA256))
		}
		if q.Method != "" && q.Method != http.MethodPut && q.Method != http.MethodPost {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: `method must be "PUT" or "POST"`})
		}
		requested, err := expiresIn(q.ExpiresIn)
		probs.add(err)
		if err := probs.err(); err != nil {
			return err
		}
		caller, key, err := d.newUploadKey(r, q.FileName)
		if err != nil {
			return err
		}
		if q.Method == http.MethodPost {
			return d.uploadPost(w, r, caller, key, ct, q, requested)
		}

		resp := uploadResponse{Key: key, Method: http.MethodPut}
		resp.Headers.ContentType = ct
		resp.Headers.IfNoneMatch = "*"
		resp.Headers.ContentLength = strconv.FormatInt(*q.Size, 10)
		hdrs := make([]presign.Header, 0, 4)
		hdrs = append(hdrs, presign.Header{Name: "content-type", Value: ct}, presign.Header{Name: "if-none-match", Value: "*"},
			presign.Header{Name: "content-length", Value: resp.Headers.ContentLength})
		if q.SHA256 != "" {
			resp.Headers.ChecksumSHA256 = q.SHA256
			hdrs = append(hdrs, presign.Header{Name: "x-amz-checksum-sha256", Value: q.SHA256})
		}
		resp.URL, resp.ExpiresAt, err = d.sign(r, presign.Request{Method: http.MethodPut, Key: key, Headers: hdrs}, requested)
		if err != nil {
			return err
		}
		d.audit(r, caller, OpUpload, key, *q.Size, resp.ExpiresAt)
		ab := newAnswer()
		ab.b = resp.appendJSON(ab.b)
		ab.send(w, http.StatusCreated)
		return nil
	})
}

// checkSHA256 accepts the standard base64 form of a 32-byte digest, as S3
// compares x-amz-checksum-sha256 with it.
func checkSHA256(s string) error {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != sha256.Size || base64.StdEncoding.EncodeToString(b) != s {
		return &apierr.Error{Code: apierr.Invalid, Message: "sha256 must be the standard base64 form of a 32-byte SHA-256 digest (44 characters)"}
	}
	return nil
}
