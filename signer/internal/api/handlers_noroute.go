package api

import (
	"net/http"
	"strings"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// routeMethods are the methods a route may be declared for, in the order an
// Allow header lists them.
var routeMethods = []string{
	http.MethodConnect, http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodOptions,
	http.MethodPatch, http.MethodPost, http.MethodPut, http.MethodTrace,
}

// handleNoRoute answers requests no route matches (it is served for the
// catch-all pattern routeFallback). When the path has routes for other
// methods, it answers 405 with an Allow header listing them, as the mux
// would; otherwise 404. Both are JSON errors like every other answer.
func handleNoRoute(d *Deps, mux *http.ServeMux) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		allow := allowedMethods(mux, r)
		if len(allow) == 0 {
			return &apierr.Error{Code: apierr.NotFound, Message: "no such route"}
		}
		list := strings.Join(allow, ", ")
		w.Header().Set("Allow", list)
		return &apierr.Error{Code: apierr.MethodNotAllowed, Message: "method not allowed; allowed: " + list}
	})
}

// allowedMethods returns the methods that have a route for r's path: it asks
// the mux which pattern each method would match, and any pattern other than
// the catch-all is a route. Only requests that no route serves pay for this.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	probe := r.WithContext(r.Context())
	for _, m := range routeMethods {
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != routeFallback && pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}
