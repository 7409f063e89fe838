package api

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/s3presign/s3presign/signer/internal/objectkey"
	"github.com/s3presign/s3presign/signer/internal/presign"
)

// downloadRequest is the body of POST /v1/downloads.
type downloadRequest struct {
	Key          string // required; must follow the key grammar under the caller's prefix
	DownloadName string // optional; the name the browser saves the file under
	ExpiresIn    *int64 // optional; requested lifetime in seconds
}

func (q *downloadRequest) fields() []field {
	return []field{
		{"key", &q.Key},
		{"downloadName", &q.DownloadName},
		{"expiresIn", &q.ExpiresIn},
	}
}

// downloadResponse is the answer of POST /v1/downloads.
type downloadResponse struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// handleDownload issues a presigned GET for a key under the caller's prefix,
// or under a prefix shared with the caller; any other key is forbidden.
// With downloadName the URL carries response-content-disposition, so S3
// answers with Content-Disposition: attachment and that file name. A key
// that may hold active content (HTML, SVG, XML, JavaScript) is always an
// attachment (see downloadQuery).
func handleDownload(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var q downloadRequest
		if err := decodeObject(r, q.fields()); err != nil {
			return err
		}
		caller, scope, err := d.scope(r)
		if err != nil {
			return err
		}
		var probs problems
		probs.add(d.readable(q.Key, caller, scope))
		if q.DownloadName != "" {
			probs.add(objectkey.CheckName("downloadName", q.DownloadName))
		}
		requested, err := expiresIn(q.ExpiresIn)
		probs.add(err)
		if err := probs.err(); err != nil {
			return err
		}
		if err := d.checkScan(w, r, q.Key); err != nil {
			return err
		}
		req := presign.Request{Method: http.MethodGet, Key: q.Key, Query: d.downloadQuery(q.Key, q.DownloadName)}
		var resp downloadResponse
		resp.URL, resp.ExpiresAt, err = d.sign(r, req, requested)
		if err != nil {
			return err
		}
		d.audit(r, caller, OpDownload, q.Key, 0, resp.ExpiresAt)
		ab := newAnswer()
		ab.b = resp.appendJSON(ab.b)
		ab.send(w, http.StatusOK)
		return nil
	})
}

// downloadQuery returns the response overrides of a download of key: with
// downloadName, an attachment under that name. When the key may hold
// active content (rules.ActiveName) it is always an attachment (under
// downloadName or the key's last segment) with response-content-type
// application/octet-stream: served inline from the bucket's origin, HTML,
// SVG or script would run there, and a type no browser renders keeps it
// from running even where a disposition is not honoured.
func (d *Deps) downloadQuery(key, downloadName string) []presign.Param {
	active := d.Rules.ActiveName(key)
	if downloadName == "" && !active {
		return nil
	}
	name := downloadName
	if name == "" {
		name = key[strings.LastIndexByte(key, '/')+1:]
	}
	q := []presign.Param{{Name: "response-content-disposition", Value: contentDisposition(name)}}
	if active {
		q = append(q, presign.Param{Name: "response-content-type", Value: "application/octet-stream"})
	}
	return q
}

// contentDisposition builds an attachment disposition for a file name that
// passed objectkey.CheckName (so it holds no control characters):
//
//	attachment; filename="<ASCII fallback>"; filename*=UTF-8''<RFC 5987 encoding>
//
// The fallback replaces every non-ASCII character, '"' and '\' with '_'.
func contentDisposition(name string) string {
	var b strings.Builder
	b.Grow(len(`attachment; filename=""; filename*=UTF-8''`) + 4*len(name))
	b.WriteString(`attachment; filename="`)
	for _, r := range name {
		if r < utf8.RuneSelf && r >= 0x20 && r != 0x7f && r != '"' && r != '\\' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	b.WriteString(`"; filename*=UTF-8''`)
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		c := name[i]
		if attrChar(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// attrChar reports whether c may appear unencoded in an RFC 5987 value.
func attrChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
