package rules

import (
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

func TestMultipartValidate(t *testing.T) {
	const maxSingle = 100 << 20
	good := Multipart{Threshold: 50 << 20, PartSize: 16 << 20, MaxSize: 5 << 30}
	tests := []struct {
		name string
		m    Multipart
		errs []string // substrings the error must hold; none: valid
	}{
		{name: "control: valid", m: good},
		{name: "part size at S3's bounds", m: Multipart{Threshold: 1, PartSize: MinPartSize, MaxSize: MinPartSize}},
		{name: "largest object", m: Multipart{Threshold: 1, PartSize: MaxPartSize, MaxSize: MaxObjectSize}},
		{name: "part below 5 MiB", m: Multipart{Threshold: 1, PartSize: MinPartSize - 1, MaxSize: 1 << 30}, errs: []string{"part size"}},
		{name: "part above 5 GiB", m: Multipart{Threshold: 1, PartSize: MaxPartSize + 1, MaxSize: 1 << 30}, errs: []string{"part size"}},
		{name: "more than 10000 parts", m: Multipart{Threshold: 1, PartSize: MinPartSize, MaxSize: MaxParts*MinPartSize + 1}, errs: []string{"more than 10000 parts", "at least 5242881"}},
		{name: "threshold above single limit", m: Multipart{Threshold: maxSingle + 1, PartSize: MinPartSize, MaxSize: 1 << 30}, errs: []string{"threshold"}},
		{name: "threshold above multipart max", m: Multipart{Threshold: 20 << 20, PartSize: MinPartSize, MaxSize: 10 << 20}, errs: []string{"above the max multipart size"}},
		{name: "every problem", m: Multipart{}, errs: []string{"part size", "max multipart size 0", "threshold 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Validate(maxSingle)
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: nil, want an error holding %q", tt.errs)
			}
			for _, s := range tt.errs {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not hold %q", err, s)
				}
			}
		})
	}
}

func TestMultipartCheckSize(t *testing.T) {
	m := Multipart{Threshold: 1, PartSize: MinPartSize, MaxSize: 1 << 30}
	for _, tt := range []struct {
		size int64
		code string
	}{{1, ""}, {1 << 30, ""}, {0, apierr.Invalid}, {-1, apierr.Invalid}, {1<<30 + 1, apierr.TooLarge}} {
		wantCode(t, m.CheckSize(tt.size), tt.code)
	}
}

func TestPartCountAndLength(t *testing.T) {
	const p = 5 << 20
	tests := []struct {
		size  int64
		count int
		last  int64
	}{
		{1, 1, 1},
		{p, 1, p},
		{p + 1, 2, 1},
		{2*p + 18, 3, 18},
		{3 * p, 3, p},
	}
	for _, tt := range tests {
		if got := PartCount(tt.size, p); got != tt.count {
			t.Errorf("PartCount(%d) = %d, want %d", tt.size, got, tt.count)
		}
		var sum int64
		for n := 1; n <= tt.count; n++ {
			l := PartLength(tt.size, p, n)
			if n < tt.count && l != p {
				t.Errorf("PartLength(%d, part %d) = %d, want %d", tt.size, n, l, p)
			}
			sum += l
		}
		if l := PartLength(tt.size, p, tt.count); l != tt.last {
			t.Errorf("PartLength(%d, last) = %d, want %d", tt.size, l, tt.last)
		}
		if sum != tt.size {
			t.Errorf("parts of %d sum to %d", tt.size, sum)
		}
	}
}

func TestMaxUndeclaredParts(t *testing.T) {
	for _, tt := range []struct {
		max  int64
		want int
	}{{1, 1}, {MinPartSize, 1}, {MinPartSize + 1, 2}, {5 << 30, 1024}, {MaxObjectSize, MaxParts}} {
		m := Multipart{MaxSize: tt.max}
		if got := m.MaxUndeclaredParts(); got != tt.want {
			t.Errorf("MaxUndeclaredParts(max %d) = %d, want %d", tt.max, got, tt.want)
		}
	}
}
