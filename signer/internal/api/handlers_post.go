package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/s3presign/s3presign/signer/internal/presign"
)

// postUploadResponse is the answer of POST /v1/uploads with "method":
// "POST": the form's action URL and the fields to send before the file
// field (named "file", sent last).
type postUploadResponse struct {
	Key       string            `json:"key"`
	URL       string            `json:"url"`
	Method    string            `json:"method"`
	Fields    map[string]string `json:"fields"`
	ExpiresAt time.Time         `json:"expiresAt"`
}

// uploadPost answers POST /v1/uploads with "method": "POST": a browser form
// upload whose policy pins the key, the Content-Type and, when given, the
// SHA-256, and allows 1 byte up to the declared size or, without one, the
// single-upload limit. Unlike the PUT, S3 cannot refuse to replace an
// object on a form upload; the key is new and random, and the policy dies
// at expiresAt.
func (d *Deps) uploadPost(w http.ResponseWriter, r *http.Request, caller, key, ct string, q uploadRequest, requested time.Duration) error {
	p := postPolicy{key: key, contentType: ct, maxSize: d.Rules.Limits().MaxSize, sha256: q.SHA256, requested: requested}
	if q.Size != nil {
		p.maxSize = *q.Size
	}
	resp := postUploadResponse{Key: key, Method: http.MethodPost}
	var err error
	resp.URL, resp.Fields, resp.ExpiresAt, err = d.presignPost(r, p)
	if err != nil {
		return err
	}
	d.audit(r, caller, OpUploadPost, key, p.maxSize, resp.ExpiresAt)
	writeJSON(w, http.StatusCreated, &resp)
	return nil
}

// postPolicy describes one presigned POST.
type postPolicy struct {
	key, contentType string
	maxSize          int64  // content-length-range is 1..maxSize
	sha256           string // optional base64 SHA-256, pinned in the policy
	requested        time.Duration
}

// presignPost signs a POST policy with the same credentials and lifetime
// rules as presigned URLs. The policy pins the exact key, the Content-Type
// and the checksum when given, and allows 1..maxSize bytes.
func (d *Deps) presignPost(r *http.Request, p postPolicy) (url string, fields map[string]string, expiresAt time.Time, err error) {
	c, now, life, err := d.signingLifetime(r, p.requested)
	if err != nil {
		return "", nil, time.Time{}, err
	}
	url, fields, err = d.Presigner.PresignPost(c, now, presign.PostInput{
		Key:            p.key,
		ContentType:    p.contentType,
		MinSize:        1,
		MaxSize:        p.maxSize,
		ChecksumSHA256: p.sha256,
		Expires:        life,
	})
	if err != nil {
		// Every input was validated first, so this is our fault.
		return "", nil, time.Time{}, fmt.Errorf("presign POST: %w", err)
	}
	// The policy's expiration is now+life with millisecond precision.
	return url, fields, now.UTC().Add(life).Truncate(time.Millisecond), nil
}
