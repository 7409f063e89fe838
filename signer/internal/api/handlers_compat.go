package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/presign"
	"github.com/s3presign/s3presign/signer/internal/rules"
)

// The compat routes keep the original server's contract for migrating
// clients: the client names the object (key = prefix [caller "/"]
// fileName "." extension), asks with GET and query parameters, and gets
// {"url"} back. The same name and type rules and limits as the v1 routes
// apply. Unknown query parameters are ignored, as the original did; a
// parameter given twice is refused.

// compatUploadResponse is the answer of GET /signed-url-upload. Headers is
// present only when the URL signs more than Content-Type: when overwrites
// are refused (the client must then also send If-None-Match: *) or when size
// was given (Content-Length, which a browser sets from the body).
type compatUploadResponse struct {
	URL     string         `json:"url"`
	Headers *compatHeaders `json:"headers,omitempty"`
}

type compatHeaders struct {
	ContentType   string `json:"Content-Type"`
	ContentLength string `json:"Content-Length,omitempty"`
	IfNoneMatch   string `json:"If-None-Match,omitempty"`
}

// compatAccessResponse is the answer of GET /signed-url-access.
type compatAccessResponse struct {
	URL string `json:"url"`
}

// handleCompatUpload: GET /signed-url-upload?fileName=&extension=&mediaType=[&size=].
// mediaType is a top-level type ("image") or a full type ("image/png"); it
// must agree with the extension's allowed type. The URL signs Content-Type
// (what an old client sends), Content-Length when size is given (so S3
// refuses any other body length, as on v1), and If-None-Match: * when
// overwrites are refused. Without size, CompatRefuseUnsized refuses the
// request; otherwise only S3's 5 GiB per PUT caps the body.
func handleCompatUpload(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var probs problems
		q := r.URL.RawQuery
		fileName := singleQuery(q, "fileName", &probs)
		ext := singleQuery(q, "extension", &probs)
		mediaType := singleQuery(q, "mediaType", &probs)
		size := d.compatSize(singleQuery(q, "size", &probs), &probs)
		caller, key, err := d.compatKey(r, &probs, fileName, ext)
		if err != nil {
			return err
		}
		ct, err := d.Rules.CompatType(mediaType, ext)
		probs.add(err)
		if err := probs.err(); err != nil {
			return err
		}
		req := presign.Request{Method: http.MethodPut, Key: key, Headers: []presign.Header{{Name: "content-type", Value: ct}}}
		var resp compatUploadResponse
		sizeLimit := rules.MaxPutSize // what S3 lets an unsized PUT write
		if size > 0 {
			sizeLimit = size
			length := strconv.FormatInt(size, 10)
			req.Headers = append(req.Headers, presign.Header{Name: "content-length", Value: length})
			resp.Headers = &compatHeaders{ContentType: ct, ContentLength: length}
		}
		if d.CompatRefuseOverwrite {
			req.Headers = append(req.Headers, presign.Header{Name: "if-none-match", Value: "*"})
			if resp.Headers == nil {
				resp.Headers = &compatHeaders{ContentType: ct}
			}
			resp.Headers.IfNoneMatch = "*"
		}
		var expiresAt time.Time
		resp.URL, expiresAt, err = d.sign(r, req, 0)
		if err != nil {
			return err
		}
		d.audit(r, caller, OpCompatUpload, key, sizeLimit, expiresAt)
		ab := newAnswer()
		ab.b = resp.appendJSON(ab.b)
		ab.send(w, http.StatusOK)
		return nil
	})
}

// handleCompatAccess: GET /signed-url-access?fileName=&extension= signs a GET
// for the key the compat upload route wrote; active content is always an
// attachment, as on v1 (downloadQuery).
func handleCompatAccess(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		var probs problems
		q := r.URL.RawQuery
		fileName := singleQuery(q, "fileName", &probs)
		ext := singleQuery(q, "extension", &probs)
		caller, key, err := d.compatKey(r, &probs, fileName, ext)
		if err != nil {
			return err
		}
		if ext != "" {
			_, err = d.Rules.ExtensionType(ext)
			probs.add(err)
		}
		if err := probs.err(); err != nil {
			return err
		}
		if err := d.checkScan(w, r, key); err != nil {
			return err
		}
		var resp compatAccessResponse
		var expiresAt time.Time
		resp.URL, expiresAt, err = d.sign(r, presign.Request{Method: http.MethodGet, Key: key, Query: d.downloadQuery(key, "")}, 0)
		if err != nil {
			return err
		}
		d.audit(r, caller, OpCompatDownload, key, 0, expiresAt)
		ab := newAnswer()
		ab.b = resp.appendJSON(ab.b)
		ab.send(w, http.StatusOK)
		return nil
	})
}

// compatSize parses the compat upload's optional size parameter (0 when
// absent) and checks it like v1's; an absent size is a problem when unsized
// compat uploads are refused.
func (d *Deps) compatSize(v string, probs *problems) int64 {
	if v == "" {
		if d.CompatRefuseUnsized {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: "size is required: add the query parameter size=<the file's length in bytes> (a browser's file.size), which the URL then signs as Content-Length"})
		}
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		probs.add(&apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("size %q must be a whole number of bytes", clip(v))})
		return 0
	}
	if err := d.Rules.CheckSize(n); err != nil {
		probs.add(err)
		return 0
	}
	return n
}

// compatKey returns the request's caller and the key the compat routes
// build from fileName and extension. A caller that cannot be used is an
// error; a name or extension the key grammar refuses is added to probs.
func (d *Deps) compatKey(r *http.Request, probs *problems, fileName, ext string) (caller, key string, err error) {
	caller, _, err = d.scope(r)
	if err != nil {
		return "", "", err
	}
	key, err = d.Keys.Compat(caller, fileName, ext)
	probs.add(err)
	return caller, key, nil
}

// singleQuery is single for a raw query: it reads the pairs as
// url.ParseQuery does (split at '&', name and value unescaped, a pair with
// ';' or a bad escape skipped) but builds no map, so a query without escapes
// costs no allocation.
func singleQuery(raw, name string, probs *problems) string {
	var v string
	n := 0
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil || k != name {
			continue
		}
		if val, err = url.QueryUnescape(val); err != nil {
			continue
		}
		n++
		v = val
	}
	if n > 1 {
		probs.add(&apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("query parameter %q is given %d times", name, n)})
		return ""
	}
	return v
}

// single returns the only value of a query parameter ("" when absent) and
// records a problem when it is given more than once.
func single(q url.Values, name string, probs *problems) string {
	v := q[name]
	switch len(v) {
	case 0:
		return ""
	case 1:
		return v[0]
	default:
		probs.add(&apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("query parameter %q is given %d times", name, len(v))})
		return ""
	}
}
