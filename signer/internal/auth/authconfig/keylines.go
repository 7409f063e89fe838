package authconfig

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeyLine is one stored API key: the caller it names, the SHA-256 of the key,
// and optional per-caller limits.
//
// Its text form is "name:sha256hex" or "name:sha256hex:rate[:burst]", where
// sha256hex is the 64 hex digits of SHA-256 over the whole key string, rate is
// requests per second and burst a whole number of requests.
type KeyLine struct {
	// Name is the caller the key authenticates.
	Name string
	// Hash is the SHA-256 of the key.
	Hash [32]byte
	// Limit is the caller's own rate limit; zero fields: use the default.
	Limit Limit
}

// String returns the line's text form.
func (k KeyLine) String() string {
	s := k.Name + ":" + hex.EncodeToString(k.Hash[:])
	if k.Limit.PerSecond != 0 || k.Limit.Burst != 0 {
		s += ":" + fmt.Sprint(k.Limit.PerSecond)
		if k.Limit.Burst != 0 {
			s += ":" + fmt.Sprint(k.Limit.Burst)
		}
	}
	return s
}

// MaxKeyLines bounds how many API keys one configuration may hold.
const MaxKeyLines = 10000

// ParseKeyLines parses API-key hash lines. Entries are separated by newlines or
// commas; surrounding spaces, blank entries and lines starting with "#" are
// ignored. A name may appear on several entries (e.g. an old and a new key
// while rotating), but then every limit it gives must agree. The same hash
// twice is an error. Every problem is reported, each with its entry number;
// no hash or key text is echoed back. No entries at all is an error.
func ParseKeyLines(s string) ([]KeyLine, error) {
	var (
		out    []KeyLine
		errs   []error
		hashes = map[[32]byte]int{}
		limits = map[string]Limit{}
	)
	n := 0
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, entry := range strings.Split(line, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			n++
			if n > MaxKeyLines {
				return nil, fmt.Errorf("more than %d API key entries", MaxKeyLines)
			}
			k, err := parseKeyLine(entry)
			if err != nil {
				errs = append(errs, fmt.Errorf("API key entry %d: %w", n, err))
				continue
			}
			if first, dup := hashes[k.Hash]; dup {
				errs = append(errs, fmt.Errorf("API key entry %d: same key hash as entry %d", n, first))
				continue
			}
			hashes[k.Hash] = n
			if l, ok := limits[k.Name]; ok && l != k.Limit {
				errs = append(errs, fmt.Errorf("API key entry %d: caller %q is given different limits on different entries", n, k.Name))
				continue
			}
			limits[k.Name] = k.Limit
			out = append(out, k)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no API key entries (want lines \"name:sha256hex[:rate[:burst]]\")")
	}
	return out, nil
}

func parseKeyLine(entry string) (KeyLine, error) {
	parts := strings.Split(entry, ":")
	if len(parts) < 2 || len(parts) > 4 {
		return KeyLine{}, fmt.Errorf("want \"name:sha256hex[:rate[:burst]]\", got %d colon-separated fields", len(parts))
	}
	var k KeyLine
	k.Name = strings.TrimSpace(parts[0])
	if err := ValidName(k.Name); err != nil {
		return KeyLine{}, err
	}
	h := strings.TrimSpace(parts[1])
	if len(h) != 64 {
		return KeyLine{}, fmt.Errorf("hash is %d characters long, want 64 hex digits (SHA-256)", len(h))
	}
	if _, err := hex.Decode(k.Hash[:], []byte(h)); err != nil {
		return KeyLine{}, fmt.Errorf("hash is not 64 hex digits (SHA-256)")
	}
	if len(parts) >= 3 {
		r, err := ParseRate(parts[2])
		if err != nil {
			return KeyLine{}, err
		}
		k.Limit.PerSecond = r
	}
	if len(parts) == 4 {
		b, err := ParseBurst(parts[3])
		if err != nil {
			return KeyLine{}, err
		}
		k.Limit.Burst = b
	}
	return k, nil
}
