package loadtest

import "testing"

func TestParseGoBenchTakesMediansPerBenchmark(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/s3presign/s3presign/signer/internal/presign
cpu: AMD EPYC
BenchmarkPresign/PUT-2         	  800000	      1500 ns/op	     896 B/op	       1 allocs/op
BenchmarkPresign/PUT-2         	  800000	      1300 ns/op	     896 B/op	       1 allocs/op
BenchmarkPresign/PUT-2         	  800000	      1400 ns/op	     896 B/op	       1 allocs/op
BenchmarkPresignPost-2         	  100000	     10000 ns/op	    4000 B/op	      40 allocs/op
PASS
pkg: github.com/s3presign/s3presign/signer/internal/api
BenchmarkHandler/upload-2      	   50000	     21000.5 ns/op	    7000 B/op	      60 allocs/op
ok  	github.com/s3presign/s3presign/signer/internal/api	3.1s
`
	got := ParseGoBench(out)
	want := []MicroResult{
		{"github.com/s3presign/s3presign/signer/internal/presign", "BenchmarkPresign/PUT", 3, 1400, 896, 1},
		{"github.com/s3presign/s3presign/signer/internal/presign", "BenchmarkPresignPost", 1, 10000, 4000, 40},
		{"github.com/s3presign/s3presign/signer/internal/api", "BenchmarkHandler/upload", 1, 21000.5, 7000, 60},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("result %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{9, 1, 5}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.xs); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
	}
}
