package loadtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(scenario string, requests int64, cpu float64, p99us float64, hwmMiB int64) RunResult {
	return RunResult{Scenario: scenario, Wrk: WrkResult{Requests: requests, DurationUS: 10e6,
		LatencyUS: WrkLatency{P50: 1000, P99: p99us, P999: p99us * 2}}, ServerCPUSeconds: cpu, PeakRSSBytes: hwmMiB << 20}
}

func TestSummariseTakesMediansAndTheFloorRatio(t *testing.T) {
	runs := []RunResult{
		run(ScenarioFloor, 400_000, 8, 5000, 15),
		run(ScenarioUpload, 200_000, 8, 9000, 18),
		run(ScenarioFloor, 500_000, 10, 6000, 16),
		run(ScenarioUpload, 300_000, 10, 20000, 20),
		run(ScenarioFloor, 450_000, 9, 7000, 15),
		run(ScenarioUpload, 250_000, 9, 11000, 19),
	}
	rows := summarise([]string{ScenarioFloor, ScenarioUpload}, runs, 700)
	floor, upload := rows[0], rows[1]
	if floor.PerCPUSecond != 50_000 || floor.FloorRatio != 1 {
		t.Errorf("floor: got %.0f req per CPU-s, ratio %.2f; want 50000, 1", floor.PerCPUSecond, floor.FloorRatio)
	}
	// Upload's runs: 25000, 30000, 27778 req per CPU-s; median 27778.
	if got := upload.FloorRatio; got < 0.555 || got > 0.556 {
		t.Errorf("upload: got ratio %.4f, want 27778/50000", got)
	}
	if upload.P99ms != 11 || upload.PeakRSSMiB != 20 || upload.Runs != 3 {
		t.Errorf("upload: got p99 %.1f ms, peak %.0f MiB, %d runs; want the median 11, the highest 20, 3", upload.P99ms, upload.PeakRSSMiB, upload.Runs)
	}
}

func TestCheckTargets(t *testing.T) {
	rep := &BenchReport{Settings: BenchSettings{Connections: 64}, Rows: summarise(
		[]string{ScenarioFloor, ScenarioUpload, ScenarioUploadAuth, ScenarioCompatUpload, ScenarioSDKPeer},
		[]RunResult{run(ScenarioFloor, 500_000, 10, 5000, 15), run(ScenarioUpload, 350_000, 10, 9000, 18),
			run(ScenarioUploadAuth, 240_000, 10, 11000, 19), run(ScenarioCompatUpload, 320_000, 10, 8000, 26),
			run(ScenarioSDKPeer, 100_000, 10, 30000, 40)}, 700)}
	rep.Micro = []MicroResult{{Name: "BenchmarkPresign/PUT", NsPerOp: 1400, AllocsPerOp: 1},
		{Name: "BenchmarkPresign/GET", NsPerOp: 3100, AllocsPerOp: 1}, {Name: "BenchmarkHandler/upload", NsPerOp: 20000, AllocsPerOp: 40}}
	checks := CheckTargets(rep)
	want := []struct {
		contains string
		met      bool
	}{
		{"compat-upload: requests per server CPU-second vs the floor", true}, // 0.64×
		{"upload-auth: requests per server CPU-second vs the floor", false},  // 0.48×
		{"compat-upload: efficiency vs Express", false},                      // the first measured 4.3 / 0.3125 CPU-s per 10k = 13.8×
		{"upload-auth: p99 latency", false},                                  // 11 ms
		{"peak RSS", false},                                                  // compat-upload 26 MiB; the SDK peer's 40 is not the signer's
		{"BenchmarkPresign/PUT", true},
	}
	for _, w := range want {
		var found []TargetCheck
		for _, c := range checks {
			if strings.Contains(c.Target, w.contains) {
				found = append(found, c)
			}
		}
		switch {
		case len(found) != 1:
			t.Errorf("got %d checks containing %q, want 1: %v", len(found), w.contains, checks)
		case found[0].Met != w.met:
			t.Errorf("%s: got met %v (%s), want %v", found[0].Target, found[0].Met, found[0].Got, w.met)
		}
	}
	if len(checks) != len(want) {
		t.Errorf("got %d checks, want %d: %v", len(checks), len(want), checks)
	}
	for _, c := range checks {
		if strings.Contains(c.Target, "BenchmarkHandler") || strings.Contains(c.Target, "BenchmarkPresign/GET") {
			t.Errorf("got check %q; the presign target is for a PUT with static keys only", c.Target)
		}
		if strings.Contains(c.Got, "40.0 MiB") {
			t.Errorf("the SDK peer's RSS is checked as the signer's: %v", c)
		}
	}
	// Side by side, Express replaces its first measured figure: 32,000 vs 2,000 req
	// per CPU-second is 16×.
	rep.Rows = append(rep.Rows, Row{Scenario: ScenarioExpress, PerCPUSecond: 2000, CPUPer10k: 5})
	n := 0
	for _, c := range CheckTargets(rep) {
		if !strings.Contains(c.Target, "Express") {
			continue
		}
		n++
		if !strings.Contains(c.Target, "side by side") || !c.Met {
			t.Errorf("got %+v with Express measured, want one met side-by-side check", c)
		}
	}
	if n != 1 {
		t.Errorf("%d Express checks, want 1", n)
	}
}

func TestMarkdownHasEveryRow(t *testing.T) {
	rep := &BenchReport{Settings: BenchSettings{Runs: 3, Connections: 64, Threads: 2, Commit: "abc1234-dirty"}, Rows: summarise(
		[]string{ScenarioFloor, ScenarioUpload, ScenarioCompatUpload}, []RunResult{run(ScenarioFloor, 500_000, 10, 5000, 15),
			run(ScenarioUpload, 350_000, 10, 9000, 18), run(ScenarioCompatUpload, 350_000, 10, 9000, 18)}, 700)}
	rep.Targets = CheckTargets(rep)
	var b strings.Builder
	if err := rep.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| floor | net/http, fixed 700-byte answer | 50000 |", "| upload | POST /v1/uploads | 35000 |", "0.70 |", "| target |", "Commit: `abc1234-dirty`"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}

func TestWriteReportSectionReplacesOnlyItsSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "REPORT.md")
	if err := WriteReportSection(path, "bench", "### bench 1\n"); err != nil {
		t.Fatal(err)
	}
	if err := WriteReportSection(path, "soak", "### soak 1\n"); err != nil {
		t.Fatal(err)
	}
	if err := WriteReportSection(path, "bench", "### bench 2\n"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.HasPrefix(got, reportHead) {
		t.Errorf("the head is gone:\n%s", got)
	}
	if strings.Contains(got, "bench 1") || !strings.Contains(got, "bench 2") || !strings.Contains(got, "soak 1") {
		t.Errorf("want bench 2 (replacing bench 1) and soak 1:\n%s", got)
	}
	if strings.Index(got, "bench 2") > strings.Index(got, "soak 1") {
		t.Errorf("the bench section moved after the soak section:\n%s", got)
	}
	if strings.Count(got, "<!-- begin bench -->") != 1 || strings.Count(got, "<!-- end soak -->") != 1 {
		t.Errorf("markers repeated:\n%s", got)
	}
}
