package api

import "net/http"

type statusResponse struct {
	Status string `json:"status"`
}

// handleHealthz is liveness: the process serves HTTP.
func handleHealthz() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, statusResponse{Status: "ok"})
	}
}

// handleReadyz is readiness: credentials resolve and stay valid long enough
// to issue useful URLs. Otherwise 503 "unavailable".
func handleReadyz(d *Deps) http.HandlerFunc {
	return d.handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := d.Creds.Ready(r.Context(), d.Clock()); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, statusResponse{Status: "ready"})
		return nil
	})
}
