package loadtest

import (
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
		[]string{ScenarioFloor, ScenarioUpload, ScenarioCompatUpload},
		[]RunResult{run(ScenarioFloor, 500_000, 10, 5000, 15), run(ScenarioUpload, 350_000, 10, 9000, 18),
			run(ScenarioCompatUpload, 200_000, 10, 16000, 26)}, 700)}
	rep.Micro = []MicroResult{{Name: "BenchmarkPresign/PUT", NsPerOp: 1400, AllocsPerOp: 1},
		{Name: "BenchmarkPresign/GET", NsPerOp: 3100, AllocsPerOp: 1}, {Name: "BenchmarkHandler/upload", NsPerOp: 20000, AllocsPerOp: 40}}
	checks := CheckTargets(rep)
	want := []struct {
		contains string
		met      bool
	}{
		{"upload: requests per server CPU-second vs the floor", true}, // 0.70×
		{"compat-upload: requests per", false},                        // not a target row: must not exist
		{"upload: efficiency vs Express", true},                       // 12.3× issue 7's 4.3 CPU-s per 10k
		{"p99 latency", false},                                        // compat-upload 16 ms
		{"peak RSS", false},                                           // compat-upload 26 MiB
		{"BenchmarkPresign/PUT", true},
		{"BenchmarkPresign/GET", false}, // 3.1 µs
	}
	for _, w := range want {
		var found []TargetCheck
		for _, c := range checks {
			if strings.Contains(c.Target, w.contains) {
				found = append(found, c)
			}
		}
		switch {
		case w.contains == "compat-upload: requests per":
			if len(found) != 0 {
				t.Errorf("got %v, want no floor-ratio check for compat-upload", found)
			}
		case len(found) != 1:
			t.Errorf("got %d checks containing %q, want 1: %v", len(found), w.contains, checks)
		case found[0].Met != w.met:
			t.Errorf("%s: got met %v (%s), want %v", found[0].Target, found[0].Met, found[0].Got, w.met)
		}
	}
	for _, c := range checks {
		if strings.Contains(c.Target, "BenchmarkHandler") {
			t.Errorf("got check %q; the presign target is for presigns only", c.Target)
		}
	}
	// Side by side, Express replaces issue 7's figure.
	rep.Rows = append(rep.Rows, Row{Scenario: ScenarioExpress, CPUPer10k: 3})
	for _, c := range CheckTargets(rep) {
		if strings.Contains(c.Target, "Express") && !strings.Contains(c.Target, "side by side") {
			t.Errorf("got %q with Express measured, want only side-by-side checks", c.Target)
		}
	}
}

func TestMarkdownHasEveryRow(t *testing.T) {
	rep := &BenchReport{Settings: BenchSettings{Runs: 3, Connections: 64, Threads: 2}, Rows: summarise(
		[]string{ScenarioFloor, ScenarioUpload}, []RunResult{run(ScenarioFloor, 500_000, 10, 5000, 15), run(ScenarioUpload, 350_000, 10, 9000, 18)}, 700)}
	rep.Targets = CheckTargets(rep)
	var b strings.Builder
	if err := rep.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| floor | net/http, fixed 700-byte answer | 50000 |", "| upload | POST /v1/uploads | 35000 |", "0.70 |", "| target (issue 7) |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}
