package policy

import "github.com/s3presign/s3presign/infra/config"

// CORSMaxAgeSeconds is how long browsers may cache a preflight answer.
const CORSMaxAgeSeconds = 3000

// CORSConfiguration is the bucket's CORS configuration, shaped like S3's
// PutBucketCors JSON ({"CORSRules": [...]}).
type CORSConfiguration struct {
	// CORSRules lists the rules; S3 uses the first that matches.
	CORSRules []CORSRule `json:"CORSRules"`
}

// CORSRule is one S3 CORS rule.
type CORSRule struct {
	// ID names the rule.
	ID string `json:"ID,omitempty"`
	// AllowedMethods are the HTTP methods allowed cross-origin.
	AllowedMethods []string `json:"AllowedMethods"`
	// AllowedOrigins are the page origins allowed.
	AllowedOrigins []string `json:"AllowedOrigins"`
	// AllowedHeaders may appear in a preflight's Access-Control-Request-Headers
	// ("*" is a wildcard, at most one per entry).
	AllowedHeaders []string `json:"AllowedHeaders"`
	// ExposeHeaders are the response headers page scripts may read.
	ExposeHeaders []string `json:"ExposeHeaders"`
	// MaxAgeSeconds is the preflight cache time.
	MaxAgeSeconds int `json:"MaxAgeSeconds"`
}

// AllowedHeaders are the request headers a browser may send with a presigned
// request:
//   - content-type: signed on every PUT;
//   - if-none-match: signed when overwrites are refused (If-None-Match: *);
//   - x-amz-*: x-amz-checksum-sha256 (signed when the caller gave a hash)
//     and any other x-amz- header a client library adds.
//
// Content-Length is not listed: it is a forbidden header name that browsers
// set themselves and never ask for in a preflight, even when it is signed.
var AllowedHeaders = []string{"content-type", "if-none-match", "x-amz-*"}

// ExposeHeaders lets page scripts read the ETag of each uploaded part, which
// browser multipart uploads (Uppy's among them) need to complete the upload.
var ExposeHeaders = []string{"ETag"}

// CORS returns the bucket's CORS configuration for env: PUT (presigned PUT
// and UploadPart), POST (form upload) and GET (download) from the allowed
// origins. It has no rules when env allows no origins; then browsers cannot
// upload directly, which suits server-to-server use.
func CORS(env config.Environment) CORSConfiguration {
	if len(env.AllowedOrigins) == 0 {
		return CORSConfiguration{CORSRules: []CORSRule{}}
	}
	return CORSConfiguration{CORSRules: []CORSRule{{
		ID:             "BrowserUploadsAndDownloads",
		AllowedMethods: []string{"PUT", "POST", "GET"},
		AllowedOrigins: append([]string(nil), env.AllowedOrigins...),
		AllowedHeaders: append([]string(nil), AllowedHeaders...),
		ExposeHeaders:  append([]string(nil), ExposeHeaders...),
		MaxAgeSeconds:  CORSMaxAgeSeconds,
	}}}
}
