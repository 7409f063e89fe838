package metrics

import (
	"math/bits"
	"time"
)

// The latency histogram has fixed log-linear buckets: each power of two
// from 2^12 ns (4.1 µs) to 2^36 ns (68.7 s) is split into four equal
// buckets, so a bucket is 12.5-25% wide and its midpoint is within 12.5% of
// any value in it. Bucket 0 holds everything under 4.1 µs and the last
// bucket everything from 68.7 s. That is NumBuckets = 98 buckets: a flush
// never needs more than the 100 distinct values CloudWatch accepts in one
// EMF histogram.
const (
	minExp     = 12 // first power of two with sub-buckets
	maxExp     = 36 // values from 2^maxExp ns go to the overflow bucket
	subBuckets = 4
	// NumBuckets is the number of latency buckets.
	NumBuckets = 1 + (maxExp-minExp)*subBuckets + 1
	overflow   = NumBuckets - 1
)

// bucketOf returns the bucket of d (d >= 0).
func bucketOf(d time.Duration) int {
	ns := uint64(d)
	if ns < 1<<minExp {
		return 0
	}
	e := bits.Len64(ns) - 1
	if e >= maxExp {
		return overflow
	}
	sub := int(ns>>(e-2)) & (subBuckets - 1)
	return 1 + (e-minExp)*subBuckets + sub
}

// bucketBounds returns bucket i's range in nanoseconds, [lo, hi). The
// overflow bucket's hi is 0 (unbounded).
func bucketBounds(i int) (lo, hi uint64) {
	switch {
	case i == 0:
		return 0, 1 << minExp
	case i == overflow:
		return 1 << maxExp, 0
	}
	e := uint(minExp + (i-1)/subBuckets)
	s := uint64((i - 1) % subBuckets)
	width := uint64(1) << (e - 2)
	lo = 1<<e + s*width
	return lo, lo + width
}

// midpointNanos is the value that stands for every sample in bucket i: its
// midpoint (a whole number of nanoseconds), or its lower bound for the
// overflow bucket.
func midpointNanos(i int) uint64 {
	lo, hi := bucketBounds(i)
	if hi == 0 {
		return lo
	}
	return (lo + hi) / 2
}

// representativeMillis is the value EMF reports for bucket i, in milliseconds.
func representativeMillis(i int) float64 { return float64(midpointNanos(i)) / 1e6 }
