package metrics

import (
	"testing"
	"time"
)

func TestBucketsFitOneEMFHistogram(t *testing.T) {
	// CloudWatch drops an EMF histogram with more than 100 distinct values.
	if NumBuckets > 100 {
		t.Fatalf("NumBuckets = %d, want at most 100", NumBuckets)
	}
}

func TestBucketOf(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want int
	}{
		{0, 0},
		{-time.Second, 0}, // Observe clamps, but bucketOf must not panic on 0
		{4095, 0},
		{4096, 1},        // 2^12: first sub-bucket of the first power
		{4096 + 1023, 1}, // still [4096, 5120)
		{5120, 2},        // next quarter
		{8191, 4},        // last quarter of 2^12
		{8192, 5},        // 2^13
		{time.Millisecond, bucketOf(time.Millisecond)},
		{1<<36 - 1, NumBuckets - 2},
		{1 << 36, NumBuckets - 1},
		{time.Hour, NumBuckets - 1},
	}
	for _, c := range cases {
		d := max(c.d, 0)
		if got := bucketOf(d); got != c.want {
			t.Errorf("bucketOf(%d ns) = %d, want %d", int64(c.d), got, c.want)
		}
	}
}

func TestBucketBoundsAreContiguousAndMidpointsInside(t *testing.T) {
	var prevHi uint64
	for i := range NumBuckets {
		lo, hi := bucketBounds(i)
		if lo != prevHi {
			t.Fatalf("bucket %d starts at %d, want %d (previous end)", i, lo, prevHi)
		}
		if i == NumBuckets-1 {
			if hi != 0 {
				t.Fatalf("overflow bucket ends at %d, want unbounded (0)", hi)
			}
			if got := bucketOf(time.Duration(lo)); got != i {
				t.Fatalf("bucketOf(overflow lower bound) = %d, want %d", got, i)
			}
			break
		}
		if hi <= lo {
			t.Fatalf("bucket %d is [%d, %d)", i, lo, hi)
		}
		for _, v := range []uint64{lo, hi - 1, midpointNanos(i)} {
			if got := bucketOf(time.Duration(v)); got != i {
				t.Fatalf("bucketOf(%d) = %d, want %d ([%d, %d))", v, got, i, lo, hi)
			}
		}
		// The midpoint stands for every value in the bucket within 12.5%.
		if i > 0 {
			mid := float64(midpointNanos(i))
			if err := (mid - float64(lo)) / float64(lo); err > 0.125 {
				t.Fatalf("bucket %d: midpoint %v is %.1f%% above its lower bound", i, mid, 100*err)
			}
		}
		prevHi = hi
	}
}
