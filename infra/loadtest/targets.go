package loadtest

import (
	"fmt"
	"strings"
)

// Issue 7's targets.
const (
	TargetFloorRatio    = 0.6  // × the floor's requests per server CPU-second
	TargetExpressFactor = 12.0 // × the Express + aws-sdk v2 server's efficiency
	TargetP99ms         = 15.0 // at 64 connections
	TargetPeakRSSMiB    = 25.0
	TargetPresignNs     = 3000.0
	TargetPresignAllocs = 2.0
)

// Express is the original design's server (Node 20 + Express + aws-sdk v2)
// as issue 7 measured it on this kind of machine (wrk, 2 threads, 64
// connections, 10 s, upload route, median of 3). It is not run here.
var Express = struct {
	RequestsPerSecond, P99ms, RSSMiB, CPUPer10k float64
}{2250, 330, 143, 4.3}

// TargetCheck is one target with what was measured.
type TargetCheck struct {
	Target string `json:"target"`
	Want   string `json:"want"`
	Got    string `json:"got"`
	Met    bool   `json:"met"`
}

// CheckTargets compares the report's rows and micro-benchmarks with issue
// 7's targets.
func CheckTargets(rep *BenchReport) []TargetCheck {
	var out []TargetCheck
	rows := map[string]Row{}
	for _, r := range rep.Rows {
		rows[r.Scenario] = r
	}
	_, haveFloor := rows[ScenarioFloor]
	for _, s := range []string{ScenarioUpload, ScenarioDownload} {
		r, ok := rows[s]
		if !ok || !haveFloor {
			continue
		}
		out = append(out, TargetCheck{
			Target: s + ": requests per server CPU-second vs the floor (logging, validation, rate limiter on)",
			Want:   fmt.Sprintf(">= %.2f×", TargetFloorRatio),
			Got:    fmt.Sprintf("%.2f×", r.FloorRatio),
			Met:    r.FloorRatio >= TargetFloorRatio,
		})
	}
	// Efficiency vs Express: side by side when it ran (same machine, same
	// moment), else against issue 7's figure from a quiet machine.
	if ex, ok := rows[ScenarioExpress]; ok && ex.CPUPer10k > 0 {
		for _, s := range []string{ScenarioUpload, ScenarioCompatUpload} {
			r, ok := rows[s]
			if !ok || r.CPUPer10k <= 0 {
				continue
			}
			f := ex.CPUPer10k / r.CPUPer10k
			out = append(out, TargetCheck{
				Target: fmt.Sprintf("%s: CPU per request vs Express + aws-sdk v2 (GET /signed-url-upload), side by side", s),
				Want:   fmt.Sprintf(">= %.0f×", TargetExpressFactor),
				Got:    fmt.Sprintf("%.1f× (%.3f vs %.3f CPU-s per 10k)", f, ex.CPUPer10k, r.CPUPer10k),
				Met:    f >= TargetExpressFactor,
			})
		}
	} else if r, ok := rows[ScenarioUpload]; ok && r.CPUPer10k > 0 {
		f := Express.CPUPer10k / r.CPUPer10k
		out = append(out, TargetCheck{
			Target: fmt.Sprintf("upload: efficiency vs Express + aws-sdk v2 (issue 7's %.1f CPU-s per 10k from a quiet machine; not run here)", Express.CPUPer10k),
			Want:   fmt.Sprintf(">= %.0f×", TargetExpressFactor),
			Got:    fmt.Sprintf("%.1f×", f),
			Met:    f >= TargetExpressFactor,
		})
	}
	at := ""
	if rep.Settings.Connections != 64 {
		at = fmt.Sprintf(" (measured at %d connections, not 64)", rep.Settings.Connections)
	}
	var worstP99, worstRSS float64
	var p99Of, rssOf string
	for _, r := range rep.Rows {
		if r.Scenario == ScenarioFloor || r.Scenario == ScenarioExpress {
			continue
		}
		if r.P99ms > worstP99 {
			worstP99, p99Of = r.P99ms, r.Scenario
		}
		if r.PeakRSSMiB > worstRSS {
			worstRSS, rssOf = r.PeakRSSMiB, r.Scenario
		}
	}
	if p99Of != "" {
		out = append(out, TargetCheck{
			Target: "p99 latency, worst signer route" + at,
			Want:   fmt.Sprintf("<= %.0f ms", TargetP99ms),
			Got:    fmt.Sprintf("%.2f ms (%s)", worstP99, p99Of),
			Met:    worstP99 <= TargetP99ms && at == "",
		})
		out = append(out, TargetCheck{
			Target: "peak RSS (VmHWM), worst signer run",
			Want:   fmt.Sprintf("<= %.0f MiB", TargetPeakRSSMiB),
			Got:    fmt.Sprintf("%.1f MiB (%s)", worstRSS, rssOf),
			Met:    worstRSS <= TargetPeakRSSMiB,
		})
	}
	for _, m := range rep.Micro {
		if !strings.HasPrefix(m.Name, "BenchmarkPresign/") {
			continue
		}
		out = append(out, TargetCheck{
			Target: "one presign: " + m.Name,
			Want:   fmt.Sprintf("<= %.0f ns, <= %.0f allocs", TargetPresignNs, TargetPresignAllocs),
			Got:    fmt.Sprintf("%.0f ns, %.0f allocs", m.NsPerOp, m.AllocsPerOp),
			Met:    m.NsPerOp <= TargetPresignNs && m.AllocsPerOp <= TargetPresignAllocs,
		})
	}
	return out
}
