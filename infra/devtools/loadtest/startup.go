package loadtest

import (
	"context"
	"time"
)

// StartupResult is the time from exec to the first /readyz 200 over several
// starts of the signer.
type StartupResult struct {
	Starts   int     `json:"starts"`
	MedianMS float64 `json:"median_ms"`
	MinMS    float64 `json:"min_ms"`
	MaxMS    float64 `json:"max_ms"`
	// PollMS is how often /readyz was polled: each figure is at most this
	// much late.
	PollMS float64 `json:"poll_ms"`
}

// MeasureStartup starts the process n times, one at a time, each until
// ReadyPath answers 200, then stops it.
func MeasureStartup(ctx context.Context, pc ProcessConfig, n int) (StartupResult, error) {
	var ms []float64
	for range n {
		p, err := Start(ctx, pc)
		if err != nil {
			return StartupResult{}, err
		}
		ms = append(ms, float64(p.Ready)/float64(time.Millisecond))
		if err := p.Stop(); err != nil {
			return StartupResult{}, err
		}
	}
	return startupOf(ms), nil
}
