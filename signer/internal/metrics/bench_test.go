package metrics

import (
	"testing"
	"time"
)

// BenchmarkObserve is the metrics cost of one answered request: a bucket
// lookup, three atomic adds (four with a refusal), no lock, no allocation.
func BenchmarkObserve(b *testing.B) {
	r := New(Options{Environment: "bench", Namespace: "S3Presign"})
	o := Observation{Route: "POST /v1/uploads", Duration: 250 * time.Microsecond}
	refused := Observation{Route: "POST /v1/uploads", Code: "invalid_request", Duration: 80 * time.Microsecond}
	b.Run("ok", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Observe(o)
		}
	})
	b.Run("refused", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Observe(refused)
		}
	})
	b.Run("issued", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Issued("upload", "")
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.Observe(o)
			}
		})
	})
}
