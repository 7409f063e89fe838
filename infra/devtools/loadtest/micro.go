package loadtest

import (
	"regexp"
	"strconv"
	"strings"
)

// MicroResult is one Go micro-benchmark's median over its -count runs.
type MicroResult struct {
	Package     string  `json:"package"`
	Name        string  `json:"name"`
	Samples     int     `json:"samples"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
}

// benchLineRE matches a `go test -bench -benchmem` result line; the name's
// -N suffix (GOMAXPROCS) is dropped.
var benchLineRE = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`)

// ParseGoBench reads `go test -bench -benchmem` output (benchstat's input
// format) and returns the median of each benchmark, in order of first
// appearance.
func ParseGoBench(out string) []MicroResult {
	type acc struct {
		pkg               string
		ns, bytes, allocs []float64
	}
	var order []string
	accs := map[string]*acc{}
	pkg := ""
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		if rest, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(rest)
			continue
		}
		m := benchLineRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		id := pkg + " " + m[1]
		a := accs[id]
		if a == nil {
			a = &acc{pkg: pkg}
			accs[id] = a
			order = append(order, id)
		}
		a.ns = append(a.ns, parseFloat(m[2]))
		if m[3] != "" {
			a.bytes = append(a.bytes, parseFloat(m[3]))
		}
		if m[4] != "" {
			a.allocs = append(a.allocs, parseFloat(m[4]))
		}
	}
	out2 := make([]MicroResult, 0, len(order))
	for _, id := range order {
		a := accs[id]
		_, name, _ := strings.Cut(id, " ")
		out2 = append(out2, MicroResult{Package: a.pkg, Name: name, Samples: len(a.ns),
			NsPerOp: median(a.ns), BytesPerOp: median(a.bytes), AllocsPerOp: median(a.allocs)})
	}
	return out2
}

func parseFloat(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}
