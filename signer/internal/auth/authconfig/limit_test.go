package authconfig

import (
	"math"
	"testing"
)

func TestLimitValidate(t *testing.T) {
	tests := []struct {
		l  Limit
		ok bool
	}{
		{Limit{PerSecond: 5, Burst: 10}, true},
		{Limit{PerSecond: 0.01, Burst: 1}, true},
		{Limit{PerSecond: 0, Burst: 10}, false},
		{Limit{PerSecond: -1, Burst: 10}, false},
		{Limit{PerSecond: math.NaN(), Burst: 10}, false},
		{Limit{PerSecond: math.Inf(1), Burst: 10}, false},
		{Limit{PerSecond: 2e6, Burst: 10}, false},
		{Limit{PerSecond: 5, Burst: 0}, false},
		{Limit{PerSecond: 5, Burst: MaxBurst + 1}, false},
	}
	for _, tt := range tests {
		if err := tt.l.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", tt.l, err, tt.ok)
		}
	}
}

func TestLimitOr(t *testing.T) {
	d := Limit{PerSecond: 5, Burst: 10}
	tests := []struct{ in, want Limit }{
		{Limit{}, d},
		{Limit{PerSecond: 1}, Limit{PerSecond: 1, Burst: 10}},
		{Limit{Burst: 3}, Limit{PerSecond: 5, Burst: 3}},
		{Limit{PerSecond: 2, Burst: 4}, Limit{PerSecond: 2, Burst: 4}},
	}
	for _, tt := range tests {
		if got := tt.in.Or(d); got != tt.want {
			t.Errorf("%+v.Or(%+v) = %+v, want %+v", tt.in, d, got, tt.want)
		}
	}
}

func TestParseRateAndBurst(t *testing.T) {
	for _, s := range []string{"5", " 0.5 ", "1000000"} {
		if _, err := ParseRate(s); err != nil {
			t.Errorf("ParseRate(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", "0", "-1", "NaN", "Inf", "1e7", "5/s"} {
		if _, err := ParseRate(s); err == nil {
			t.Errorf("ParseRate(%q) = nil error, want one", s)
		}
	}
	for _, s := range []string{"1", " 20 "} {
		if _, err := ParseBurst(s); err != nil {
			t.Errorf("ParseBurst(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", "0", "-3", "1.5", "2000000"} {
		if _, err := ParseBurst(s); err == nil {
			t.Errorf("ParseBurst(%q) = nil error, want one", s)
		}
	}
}
