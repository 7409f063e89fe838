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

// addRoutes lists every route the signer serves. A path that matches no
// route gets a JSON 404; a known path with another method a JSON 405.
func addRoutes(mux *http.ServeMux, d *Deps) {
	auth := d.Authenticate

	mux.Handle(routeUploads, auth(handleUpload(d)))
	mux.Handle(routeDownloads, auth(handleDownload(d)))
	if d.Head != nil {
		mux.Handle(routeUploadStatus, auth(handleUploadStatus(d)))
	}
	if d.Compat {
		mux.Handle(routeCompatUpload, auth(handleCompatUpload(d)))
		mux.Handle(routeCompatAccess, auth(handleCompatAccess(d)))
	}
	mux.Handle(routeUppyParams, auth(handleUppyParams(d)))
	if d.multipartReady() {
		mux.Handle(routeMultipartCreate, auth(handleMultipartCreate(d)))
		mux.Handle(routeMultipartParts, auth(handleMultipartParts(d)))
		mux.Handle(routeMultipartList, auth(handleMultipartList(d)))
		mux.Handle(routeMultipartComplete, auth(handleMultipartComplete(d)))
		mux.Handle(routeMultipartAbort, auth(handleMultipartAbort(d)))
		mux.Handle(routeUppyCreate, auth(handleUppyCreate(d)))
		mux.Handle(routeUppyList, auth(handleUppyList(d)))
		mux.Handle(routeUppyBatch, auth(handleUppyBatch(d)))
		mux.Handle(routeUppySign, auth(handleUppySign(d)))
		mux.Handle(routeUppyComplete, auth(handleUppyComplete(d)))
		mux.Handle(routeUppyAbort, auth(handleUppyAbort(d)))
	}
	if d.uppyEndpointReady() {
		bound := d.endpointAuth
		mux.Handle(routeUppyEndpoint, auth(handleUppyEndpoint(d)))
		mux.Handle(routeUppyBoundParams, bound(handleUppyParams(d)))
		if d.multipartReady() {
			mux.Handle(routeUppyBoundCreate, bound(handleUppyCreate(d)))
			mux.Handle(routeUppyBoundList, bound(handleUppyList(d)))
			mux.Handle(routeUppyBoundBatch, bound(handleUppyBatch(d)))
			mux.Handle(routeUppyBoundSign, bound(handleUppySign(d)))
			mux.Handle(routeUppyBoundComplete, bound(handleUppyComplete(d)))
			mux.Handle(routeUppyBoundAbort, bound(handleUppyAbort(d)))
		}
	}
	mux.Handle(routeHealthz, handleHealthz())
	mux.Handle(routeReadyz, handleReadyz(d))
}
