package api

import "net/http"

// Route patterns (Go 1.22 ServeMux syntax). The access log names routes by
// these patterns.
const (
	routeUploads      = "POST /v1/uploads"
	routeDownloads    = "POST /v1/downloads"
	routeUploadStatus = "POST /v1/uploads/status"
	routeCompatUpload = "GET /signed-url-upload"
	routeCompatAccess = "GET /signed-url-access"
	routeHealthz      = "GET /healthz"
	routeReadyz       = "GET /readyz"

	// Multipart (v1): a token from creation goes with every later call.
	routeMultipartCreate   = "POST /v1/multipart"
	routeMultipartParts    = "POST /v1/multipart/{uploadId}/parts"
	routeMultipartList     = "GET /v1/multipart/{uploadId}/parts"
	routeMultipartComplete = "POST /v1/multipart/{uploadId}/complete"
	routeMultipartAbort    = "DELETE /v1/multipart/{uploadId}"

	// Uppy: the S3 routes of a Companion server that @uppy/aws-s3 calls.
	routeUppyParams   = "GET /s3/params"
	routeUppyCreate   = "POST /s3/multipart"
	routeUppyList     = "GET /s3/multipart/{uploadId}"
	routeUppyBatch    = "GET /s3/multipart/{uploadId}/batch"
	routeUppySign     = "GET /s3/multipart/{uploadId}/{partNumber}"
	routeUppyComplete = "POST /s3/multipart/{uploadId}/complete"
	routeUppyAbort    = "DELETE /s3/multipart/{uploadId}"

	// Caller-bound Uppy endpoints: minted with the caller's credentials,
	// then the same S3 routes under /uppy/{token} for Uppy, which sends no
	// Authorization header (handlers_uppy_endpoint.go).
	routeUppyEndpoint      = "POST /v1/uppy"
	routeUppyBoundParams   = "GET /uppy/{token}/s3/params"
	routeUppyBoundCreate   = "POST /uppy/{token}/s3/multipart"
	routeUppyBoundList     = "GET /uppy/{token}/s3/multipart/{uploadId}"
	routeUppyBoundBatch    = "GET /uppy/{token}/s3/multipart/{uploadId}/batch"
	routeUppyBoundSign     = "GET /uppy/{token}/s3/multipart/{uploadId}/{partNumber}"
	routeUppyBoundComplete = "POST /uppy/{token}/s3/multipart/{uploadId}/complete"
	routeUppyBoundAbort    = "DELETE /uppy/{token}/s3/multipart/{uploadId}"
)

// routeFallback matches every request no other route matches; it answers
// with a JSON 404, or a JSON 405 when the path has routes for other methods.
const routeFallback = "/"

// addRoutes lists every route the signer serves, each with the most body
// bytes it reads (see limitBody): multipart completions list up to 10,000
// parts and get a larger cap than the rest. URL-issuing routes go through
// authentication (d.authenticate), the health routes do not; calls under a
// caller-bound Uppy endpoint are admitted by its token (d.endpointAuth).
func addRoutes(mux *http.ServeMux, d *Deps) {
	auth, bound := d.authenticate, d.endpointAuth
	handle := func(pattern string, maxBody int64, h http.Handler) {
		mux.Handle(pattern, limitBody(maxBody, h))
	}
	const small, large = MaxBodyBytes, MaxCompleteBodyBytes

	handle(routeUploads, small, auth(handleUpload(d)))
	handle(routeDownloads, small, auth(handleDownload(d)))
	if d.Head != nil {
		handle(routeUploadStatus, small, auth(handleUploadStatus(d)))
	}
	if d.Compat {
		handle(routeCompatUpload, small, auth(handleCompatUpload(d)))
		handle(routeCompatAccess, small, auth(handleCompatAccess(d)))
	}
	handle(routeUppyParams, small, auth(handleUppyParams(d)))
	if d.multipartReady() {
		handle(routeMultipartCreate, small, auth(handleMultipartCreate(d)))
		handle(routeMultipartParts, small, auth(handleMultipartParts(d)))
		handle(routeMultipartList, small, auth(handleMultipartList(d)))
		handle(routeMultipartComplete, large, auth(handleMultipartComplete(d)))
		handle(routeMultipartAbort, small, auth(handleMultipartAbort(d)))
		handle(routeUppyCreate, small, auth(handleUppyCreate(d)))
		handle(routeUppyList, small, auth(handleUppyList(d)))
		handle(routeUppyBatch, small, auth(handleUppyBatch(d)))
		handle(routeUppySign, small, auth(handleUppySign(d)))
		handle(routeUppyComplete, large, auth(handleUppyComplete(d)))
		handle(routeUppyAbort, small, auth(handleUppyAbort(d)))
	}
	if d.uppyEndpointReady() {
		handle(routeUppyEndpoint, small, auth(handleUppyEndpoint(d)))
		handle(routeUppyBoundParams, small, bound(handleUppyParams(d)))
		if d.multipartReady() {
			handle(routeUppyBoundCreate, small, bound(handleUppyCreate(d)))
			handle(routeUppyBoundList, small, bound(handleUppyList(d)))
			handle(routeUppyBoundBatch, small, bound(handleUppyBatch(d)))
			handle(routeUppyBoundSign, small, bound(handleUppySign(d)))
			handle(routeUppyBoundComplete, large, bound(handleUppyComplete(d)))
			handle(routeUppyBoundAbort, small, bound(handleUppyAbort(d)))
		}
	}
	handle(routeHealthz, small, handleHealthz())
	handle(routeReadyz, small, handleReadyz(d))
	handle(routeFallback, small, handleNoRoute(d, mux))
}
