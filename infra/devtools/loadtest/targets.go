package loadtest

import "fmt"

// The targets the bench report checks, on this machine kind at 64
// connections.
const (
	// TargetCompatFloorRatio and TargetAuthFloorRatio are requests per
	// server CPU-second as a share of the floor's: the compat upload, and the
	// v1 upload with an API key and a declared size (the production shape).
	TargetCompatFloorRatio = 0.6
	TargetAuthFloorRatio   = 0.5
	// TargetExpressFactor is the compat upload's requests per CPU-second
	// over the Express original's, on the same request in the same run.
	TargetExpressFactor = 15.0
	// TargetP99ms is the v1 upload with an API key's p99 at 64 connections.
	TargetP99ms         = 10.0
	TargetPeakRSSMiB    = 25.0
	TargetPresignNs     = 2500.0 // one PUT presign with static keys
	TargetPresignAllocs = 1.0
)

// Express is the original design's server (Node 20 + Express + aws-sdk v2)
// as first measured on this kind of machine (wrk, 2 threads, 64
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

// CheckTargets compares the report's rows and micro-benchmarks with the
// targets.
func CheckTargets(rep *BenchReport) []TargetCheck {
	rows := map[string]Row{}
	for _, r := range rep.Rows {
		rows[r.Scenario] = r
	}
	var out []TargetCheck
	out = append(out, floorChecks(rows)...)
	out = append(out, expressChecks(rows)...)
	out = append(out, latencyAndMemoryChecks(rep, rows)...)
	for _, m := range rep.Micro {
		if m.Name != "BenchmarkPresign/PUT" {
			continue
		}
		out = append(out, TargetCheck{
			Target: "one presign, PUT with static keys (" + m.Name + ")",
			Want:   fmt.Sprintf("<= %.0f ns, <= %.0f alloc", TargetPresignNs, TargetPresignAllocs),
			Got:    fmt.Sprintf("%.0f ns, %.0f allocs", m.NsPerOp, m.AllocsPerOp),
			Met:    m.NsPerOp <= TargetPresignNs && m.AllocsPerOp <= TargetPresignAllocs,
		})
	}
	return out
}

// floorChecks: the compat upload and the v1 upload with an API key, in
// requests per server CPU-second against the floor's.
func floorChecks(rows map[string]Row) []TargetCheck {
	if _, ok := rows[ScenarioFloor]; !ok {
		return nil
	}
	var out []TargetCheck
	for _, t := range []struct {
		scenario string
		want     float64
	}{{ScenarioCompatUpload, TargetCompatFloorRatio}, {ScenarioUploadAuth, TargetAuthFloorRatio}} {
		r, ok := rows[t.scenario]
		if !ok {
			continue
		}
		out = append(out, TargetCheck{
			Target: t.scenario + ": requests per server CPU-second vs the floor (logging, validation, rate limiter, metrics on)",
			Want:   fmt.Sprintf(">= %.2f×", t.want),
			Got:    fmt.Sprintf("%.2f×", r.FloorRatio),
			Met:    r.FloorRatio >= t.want,
		})
	}
	return out
}

// expressChecks: the compat upload against the Express original on the
// same request, side by side when it ran, else against its first measured figure
// from a quiet machine.
func expressChecks(rows map[string]Row) []TargetCheck {
	r, ok := rows[ScenarioCompatUpload]
	if !ok || r.PerCPUSecond <= 0 {
		return nil
	}
	if ex, ok := rows[ScenarioExpress]; ok && ex.PerCPUSecond > 0 {
		f := r.PerCPUSecond / ex.PerCPUSecond
		return []TargetCheck{{
			Target: "compat-upload: requests per CPU-second vs Express + aws-sdk v2 (GET /signed-url-upload), side by side",
			Want:   fmt.Sprintf(">= %.0f×", TargetExpressFactor),
			Got:    fmt.Sprintf("%.1f× (%.0f vs %.0f req per CPU-s)", f, r.PerCPUSecond, ex.PerCPUSecond),
			Met:    f >= TargetExpressFactor,
		}}
	}
	f := Express.CPUPer10k / r.CPUPer10k
	return []TargetCheck{{
		Target: fmt.Sprintf("compat-upload: efficiency vs Express + aws-sdk v2 (first measured: %.1f CPU-s per 10k on a quiet machine; not run here)", Express.CPUPer10k),
		Want:   fmt.Sprintf(">= %.0f×", TargetExpressFactor),
		Got:    fmt.Sprintf("%.1f×", f),
		Met:    f >= TargetExpressFactor,
	}}
}

// latencyAndMemoryChecks: the v1 upload with an API key's p99 at 64
// connections, and the worst signer run's peak RSS.
func latencyAndMemoryChecks(rep *BenchReport, rows map[string]Row) []TargetCheck {
	var out []TargetCheck
	if r, ok := rows[ScenarioUploadAuth]; ok {
		at := ""
		if rep.Settings.Connections != 64 {
			at = fmt.Sprintf(" (measured at %d connections, not 64)", rep.Settings.Connections)
		}
		out = append(out, TargetCheck{
			Target: ScenarioUploadAuth + ": p99 latency at 64 connections" + at,
			Want:   fmt.Sprintf("<= %.0f ms", TargetP99ms),
			Got:    fmt.Sprintf("%.2f ms", r.P99ms),
			Met:    r.P99ms <= TargetP99ms && at == "",
		})
	}
	var worstRSS float64
	var rssOf string
	for _, r := range rep.Rows {
		if isSigner(r.Scenario) && r.PeakRSSMiB > worstRSS {
			worstRSS, rssOf = r.PeakRSSMiB, r.Scenario
		}
	}
	if rssOf != "" {
		out = append(out, TargetCheck{
			Target: "peak RSS (VmHWM), worst signer run",
			Want:   fmt.Sprintf("<= %.0f MiB", TargetPeakRSSMiB),
			Got:    fmt.Sprintf("%.1f MiB (%s)", worstRSS, rssOf),
			Met:    worstRSS <= TargetPeakRSSMiB,
		})
	}
	return out
}

// isSigner reports whether a scenario runs the signer (not a baseline).
func isSigner(scenario string) bool {
	switch scenario {
	case ScenarioFloor, ScenarioExpress, ScenarioSDKPeer:
		return false
	}
	return true
}
