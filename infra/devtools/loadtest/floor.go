package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"
)

// DefaultFloorBodySize is the floor's answer size when none is given: about
// a signer upload answer (key, URL with signed headers, headers, expiry).
const DefaultFloorBodySize = 700

// FloorBody returns a JSON body of exactly size bytes (at least 12).
func FloorBody(size int) []byte {
	const open, close = `{"url":"`, `"}`
	size = max(size, len(open)+len(close)+2)
	b := make([]byte, 0, size)
	b = append(b, open...)
	for len(b) < size-len(close) {
		b = append(b, 'x')
	}
	return append(b, close...)
}

// FloorHandler is the floor of Go's HTTP stack here: it reads and drops the
// request body, then answers 200 with the same JSON body to every request,
// with no routing, validation, signing or logging.
func FloorHandler(body []byte) http.Handler {
	length := strconv.Itoa(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{length}
		_, _ = w.Write(body)
	})
}

// ServeFloor serves FloorHandler on addr until ctx ends (see serveUntil).
func ServeFloor(ctx context.Context, addr string, bodySize int, stderr io.Writer) error {
	return serveUntil(ctx, "floor", addr, FloorHandler(FloorBody(bodySize)), stderr, slog.Int("body_bytes", bodySize))
}

// serveUntil serves h on addr until ctx ends. It logs the address it listens
// on as the JSON line {"msg":"listening","addr":...} to stderr, as the signer
// does, so that Start finds it. The server limits match the signer's.
func serveUntil(ctx context.Context, name, addr string, h http.Handler, stderr io.Writer, attrs ...slog.Attr) error {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: listen on %s: %w", name, addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
	log.LogAttrs(ctx, slog.LevelInfo, "listening", append([]slog.Attr{slog.String("addr", ln.Addr().String())}, attrs...)...)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("%s: %w", name, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("%s: shutdown: %w", name, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
