package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/s3presign/s3presign/signer/internal/auth"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// Status maps an error code to its HTTP status: the one place that does.
// Unknown codes are internal errors.
func Status(code string) int {
	switch code {
	case apierr.Invalid:
		return http.StatusBadRequest
	case apierr.Unauthorized:
		return http.StatusUnauthorized
	case apierr.Forbidden:
		return http.StatusForbidden
	case apierr.NotFound:
		return http.StatusNotFound
	case apierr.MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case apierr.Conflict:
		return http.StatusConflict
	case apierr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apierr.MediaType:
		return http.StatusUnsupportedMediaType
	case apierr.RateLimited:
		return http.StatusTooManyRequests
	case apierr.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// publicMessager is implemented by errors whose Error() holds a cause meant
// for logs only; PublicMessage is what the client sees.
type publicMessager interface{ PublicMessage() string }

// severity orders codes when one request has several problems: the response
// carries the most fundamental one (a malformed request before a refused
// type before a size), and the message lists them all.
func severity(code string) int {
	switch code {
	case apierr.Invalid:
		return 0
	case apierr.MediaType:
		return 1
	case apierr.TooLarge:
		return 2
	case apierr.Forbidden:
		return 3
	default:
		return 4
	}
}

// problems collects every problem found in one request.
type problems []error

func (p *problems) add(err error) {
	if err != nil {
		*p = append(*p, err)
	}
}

// err returns nil, the only problem, or an *apierr.Error with the most fundamental
// code and every message.
func (p problems) err() error {
	switch len(p) {
	case 0:
		return nil
	case 1:
		return p[0]
	}
	code := apierr.CodeOf(p[0])
	msgs := make([]string, len(p))
	for i, e := range p {
		if c := apierr.CodeOf(e); severity(c) < severity(code) {
			code = c
		}
		msgs[i] = e.Error()
	}
	return &apierr.Error{Code: code, Message: strings.Join(msgs, "; ")}
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers with err as JSON. Internal errors are logged with their
// cause and shown to the client only as "internal error"; unavailable ones
// are logged as warnings.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := apierr.CodeOf(err)
	msg := err.Error()
	switch code {
	case apierr.Internal:
		log.LogAttrs(r.Context(), slog.LevelError, "internal error", slog.String("id", requestID(r)), slog.String("error", msg))
		msg = "internal error"
	case apierr.Unavailable:
		log.LogAttrs(r.Context(), slog.LevelWarn, "unavailable", slog.String("id", requestID(r)), slog.String("error", msg))
	default:
		logRefusal(log, r, err)
	}
	// WWW-Authenticate for 401, Retry-After for 429 and 503 (auth refusals).
	auth.SetHeaders(w.Header(), err)
	var pm publicMessager
	if errors.As(err, &pm) {
		// Keep causes (provider details) out of the response.
		msg = pm.PublicMessage()
	}
	writeErrorCode(w, r, code, msg)
}

// writeErrorCode answers with an error code and message.
func writeErrorCode(w http.ResponseWriter, r *http.Request, code, msg string) {
	if x := exchangeOf(r); x != nil {
		x.code = code
	}
	writeJSON(w, Status(code), errorBody{Error: errorDetail{Code: code, Message: msg}})
}
