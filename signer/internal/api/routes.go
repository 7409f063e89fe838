package api

import "net/http"

// Route patterns (Go 1.22 ServeMux syntax). The access log names routes by
// these patterns.
const (
	routeUploads      = "POST /v1/uploads"
	routeDownloads    = "POST /v1/downloads"
	routeCompatUpload = "GET /signed-url-upload"
	routeCompatAccess = "GET /signed-url-access"
	routeHealthz      = "GET /healthz"
	routeReadyz       = "GET /readyz"
)

// addRoutes lists every route the signer serves. A path that matches no
// route gets a JSON 404; a known path with another method a JSON 405.
func addRoutes(mux *http.ServeMux, d *Deps) {
	auth := d.Authenticate

	mux.Handle(routeUploads, auth(handleUpload(d)))
	mux.Handle(routeDownloads, auth(handleDownload(d)))
	if d.Compat {
		mux.Handle(routeCompatUpload, auth(handleCompatUpload(d)))
		mux.Handle(routeCompatAccess, auth(handleCompatAccess(d)))
	}
	mux.Handle(routeHealthz, handleHealthz())
	mux.Handle(routeReadyz, handleReadyz(d))
}
