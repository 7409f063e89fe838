package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/auth"
)

// MaxBodyBytes caps every request body.
const MaxBodyBytes = 64 << 10

// exchange follows one request through the middleware: it records what the
// request's log line prints, is the ResponseWriter the inner handlers write
// to and is the request's context (carrying itself and the caller slot), so
// that following a request costs one allocation, not one per piece.
type exchange struct {
	http.ResponseWriter
	context.Context // the incoming request's context; see Value

	id      string
	pattern string // route pattern that matched ("" for none)
	code    string // error code answered, if any
	caller  string // authenticated caller, once known (for metrics and the log)
	status  int
	bytes   int64

	// issued is set by the one URL-issuing step of a request (Deps.audit):
	// the request's line is then also its audit line.
	issued bool
	issue  issue

	// callerSlot is where the authentication middleware stores the caller,
	// instead of deriving a new context and request.
	callerSlot auth.CallerSlot

	// Header values held here, so that setting them allocates no slice.
	idHeader, lengthHeader [1]string
}

type exchangeKey struct{}

// Value makes the exchange the request's context: it answers for itself and
// the caller slot, and passes every other key to the incoming context.
func (x *exchange) Value(key any) any {
	switch key.(type) {
	case exchangeKey:
		return x
	case auth.CallerSlotKey:
		return &x.callerSlot
	}
	return x.Context.Value(key)
}

// exchangeOf returns the request's exchange, or nil outside the middleware.
func exchangeOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return x
}

// requestID returns the request's id ("" outside the middleware).
func requestID(r *http.Request) string {
	if x := exchangeOf(r); x != nil {
		return x.id
	}
	return ""
}

func (x *exchange) WriteHeader(status int) {
	if x.status != 0 {
		return
	}
	x.status = status
	x.ResponseWriter.WriteHeader(status)
}

func (x *exchange) Write(p []byte) (int, error) {
	if x.status == 0 {
		x.WriteHeader(http.StatusOK)
	}
	n, err := x.ResponseWriter.Write(p)
	x.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (x *exchange) Unwrap() http.ResponseWriter { return x.ResponseWriter }

// idPrefix makes request ids unique across restarts; the counter makes them
// unique within a process without a random read per request.
var (
	idPrefix  = newIDPrefix()
	idCounter atomic.Uint64
)

func newIDPrefix() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Sprintf("%012x", time.Now().UnixNano()&0xffffffffffff)
	}
	return hex.EncodeToString(b[:])
}

// observe gives each request an id (sent back as X-Request-Id) and writes
// its one log line when it is answered (see RequestLog): the access fields
// and, when the request issued a URL, the audit fields. Health checks that
// pass are logged at debug level only.
func observe(log *RequestLog, bucket string, hops int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			x := &exchange{ResponseWriter: w, Context: r.Context()}
			x.id = newRequestID()
			x.idHeader[0] = x.id
			w.Header()["X-Request-Id"] = x.idHeader[:]
			r = r.WithContext(x)
			defer func() {
				if x.status == 0 {
					x.status = http.StatusOK // nothing written: net/http sends 200
				}
				end := time.Now()
				log.write(&requestLine{x: x, r: r, end: end, duration: end.Sub(start), bucket: bucket, hops: hops})
			}()
			next.ServeHTTP(x, r)
		})
	}
}

// newRequestID returns the next request id: the process prefix, a dash and
// a counter, built in one allocation.
func newRequestID() string {
	var b [len("0123456789ab-") + 20]byte
	n := copy(b[:], idPrefix)
	b[n] = '-'
	return string(strconv.AppendUint(b[:n+1], idCounter.Add(1), 10))
}

// recoverPanics turns a panic into a logged 500 JSON answer (when nothing
// has been written yet). http.ErrAbortHandler passes through.
func recoverPanics(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.LogAttrs(r.Context(), slog.LevelError, "panic",
					slog.String("id", requestID(r)),
					slog.String("panic", fmt.Sprint(v)),
					slog.String("stack", string(debug.Stack())))
				if x := exchangeOf(r); x == nil || x.status == 0 {
					writeErrorCode(w, r, apierr.Internal, "internal error")
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// MaxCompleteBodyBytes caps the body of a multipart completion, which lists
// up to 10,000 parts with their ETags.
const MaxCompleteBodyBytes = 1 << 20

// limitBody serves next with request bodies capped at max bytes (routes.go
// names the cap of each route): a declared larger body gets 413 at once, a
// longer chunked body fails the read (and then 413).
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeErrorCode(w, r, apierr.TooLarge, fmt.Sprintf("body is larger than %d bytes", max))
			return
		}
		// A body with a declared length is already cut there by net/http,
		// so only a chunked body (length -1) needs the reader that
		// counts; this saves an allocation on every JSON request.
		if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}

// CORS settings for the signer's own routes.
const (
	corsMethods = "GET, POST, DELETE"
	corsHeaders = "Content-Type, Authorization"
	corsMaxAge  = "600"
	// corsExposed lets page scripts read the request id and, on refusals,
	// the challenge and when to retry.
	corsExposed = "X-Request-Id, Retry-After, WWW-Authenticate"
)

// cors lets pages on the listed origins call the signer from a browser. A
// preflight from a listed origin gets 204 with the allowed methods and
// headers; from any other origin 403. Actual requests from a listed origin
// get Access-Control-Allow-Origin; others get no CORS headers, so the browser
// withholds the answer. With no origins, it does nothing.
func cors(origins []string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if len(origins) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Add("Vary", "Origin")
			origin := r.Header.Get("Origin")
			allowed := origin != "" && slices.Contains(origins, origin)
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				if x := exchangeOf(r); x != nil {
					x.pattern = routePreflight // no route matches a preflight
				}
				if !allowed {
					writeErrorCode(w, r, apierr.Forbidden, "origin not allowed")
					return
				}
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Methods", corsMethods)
				h.Set("Access-Control-Allow-Headers", corsHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if allowed {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Expose-Headers", corsExposed)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// notePattern serves mux and records the route pattern that served the
// request for its log line and metrics; requests that no route serves (the
// fallback's 404 and 405) are recorded with no pattern.
func notePattern(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if x := exchangeOf(r); x != nil && r.Pattern != routeFallback {
			x.pattern = r.Pattern
		}
	})
}
