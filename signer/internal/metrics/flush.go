package metrics

import (
	"context"
	"io"
	"time"
)

// Run calls Flush on every tick until ctx ends, then once more, so the
// last partial period is not lost on shutdown. Write errors go to onError
// (nil ignores them) and do not stop the loop. clock stamps the lines.
func (r *Registry) Run(ctx context.Context, ticks <-chan time.Time, w io.Writer, clock func() time.Time, onError func(error)) {
	flush := func() {
		if err := r.Flush(w, clock()); err != nil && onError != nil {
			onError(err)
		}
	}
	for {
		select {
		case <-ticks:
			flush()
		case <-ctx.Done():
			flush()
			return
		}
	}
}
