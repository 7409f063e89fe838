package authconfig

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits on rate-limit settings, to catch typos.
const (
	MaxPerSecond = 1e6
	MaxBurst     = 1_000_000
)

// Limit is a token bucket: PerSecond tokens are added each second, up to Burst.
// A zero field means "use the default" where a Limit overrides another.
type Limit struct {
	// PerSecond is the sustained rate, in requests per second.
	PerSecond float64
	// Burst is the most requests allowed at once.
	Burst int
}

// Validate checks a complete limit: PerSecond in (0, 1e6], Burst in [1, 1e6].
func (l Limit) Validate() error {
	var errs []string
	if !(l.PerSecond > 0) || math.IsInf(l.PerSecond, 0) || l.PerSecond > MaxPerSecond {
		errs = append(errs, fmt.Sprintf("rate %v per second is out of range (0, 1000000]", l.PerSecond))
	}
	if l.Burst < 1 || l.Burst > MaxBurst {
		errs = append(errs, fmt.Sprintf("burst %d is out of range [1, %d]", l.Burst, MaxBurst))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// Or returns l with each zero field taken from d.
func (l Limit) Or(d Limit) Limit {
	if l.PerSecond == 0 {
		l.PerSecond = d.PerSecond
	}
	if l.Burst == 0 {
		l.Burst = d.Burst
	}
	return l
}

// ParseRate parses a rate in requests per second (a decimal number, e.g. "5"
// or "0.5"). Errors do not echo the value, which may sit next to secrets.
func ParseRate(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > MaxPerSecond {
		return 0, fmt.Errorf("rate is not a number of requests per second in (0, 1000000]")
	}
	return f, nil
}

// ParseBurst parses a burst size (a whole number of requests). Errors do not
// echo the value.
func ParseBurst(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > MaxBurst {
		return 0, fmt.Errorf("burst is not a whole number in [1, %d]", MaxBurst)
	}
	return n, nil
}
