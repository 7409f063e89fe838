package loadtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteJSON writes v as indented JSON to path, creating its folder.
func WriteJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Markdown renders the report: settings, the results table, targets,
// start-up time, image size and micro-benchmarks.
func (rep *BenchReport) Markdown(w io.Writer) error {
	var b strings.Builder
	s := rep.Settings
	fmt.Fprintf(&b, "### Load test, %s\n\n", rep.Started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- Machine: %s; %s. Load average (1, 5, 15 min) before: %s; after: %s.\n",
		rep.Machine, rep.Machine.Go, rep.LoadAvg.Before, rep.LoadAvg.After)
	fmt.Fprintf(&b, "- Load: `%s`, %d threads, %d connections, %s per run after a %s warm-up; %s; every run on a fresh process; loopback.\n",
		s.Wrk, s.Threads, s.Connections, secs(s.DurationS), secs(s.WarmupS), runsText(s.Runs))
	if s.Commit != "" {
		fmt.Fprintf(&b, "- Commit: `%s`.\n", s.Commit)
	}
	fmt.Fprintf(&b, "- Signer: %s; request log at info level (JSON to a pipe), validation, rate limiter and metrics on; static test credentials.\n", s.Signer)
	if len(s.SignerEnv) > 0 {
		fmt.Fprintf(&b, "- Signer settings changed for this run: %s.\n", strings.Join(s.SignerEnv, ", "))
	}
	b.WriteString("\n| scenario | under load | req/s | p50 ms | p99 ms | p99.9 ms | errors | status ≥ 400 | peak RSS MiB | CPU-s per 10k req | req per CPU-s | × floor |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rep.Rows {
		ratio := "–"
		if r.FloorRatio > 0 {
			ratio = fmt.Sprintf("%.2f", r.FloorRatio)
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.2f | %.2f | %.2f | %d | %d | %.1f | %.3f | %.0f | %s |\n",
			r.Scenario, r.What, r.RequestsPerSecond, r.P50ms, r.P99ms, r.P999ms,
			r.SocketErrors, r.StatusErrors, r.PeakRSSMiB, r.CPUPer10k, r.PerCPUSecond, ratio)
	}
	fmt.Fprintf(&b, "\nThe figures first measured for the original design (Node 20 + Express + aws-sdk v2, same wrk settings, on a quiet machine): %.0f req/s, p99 %.0f ms, %.0f MiB, %.1f CPU-s per 10k.",
		Express.RequestsPerSecond, Express.P99ms, Express.RSSMiB, Express.CPUPer10k)
	if s.Express != "" {
		fmt.Fprintf(&b, " The express row is that design rebuilt here (%s) under the same load as the compat-upload row.", s.Express)
	}
	b.WriteString("\n")

	if len(rep.Targets) > 0 {
		b.WriteString("\n| target | want | got | met |\n|---|---|---|---|\n")
		for _, t := range rep.Targets {
			met := "yes"
			if !t.Met {
				met = "**no**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.Target, t.Want, t.Got, met)
		}
	}
	if st := rep.Startup; st != nil {
		fmt.Fprintf(&b, "\nStart to first `/readyz` 200 (exec included, %d starts, polled every %.0f ms): median %.1f ms, min %.1f ms, max %.1f ms.\n",
			st.Starts, st.PollMS, st.MedianMS, st.MinMS, st.MaxMS)
	}
	if im := rep.Image; im != nil {
		b.WriteString("\n" + im.Markdown())
	}
	if len(rep.Micro) > 0 {
		b.WriteString("\n| micro-benchmark (median) | ns/op | B/op | allocs/op | runs |\n|---|--:|--:|--:|--:|\n")
		for _, m := range rep.Micro {
			fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.0f | %d |\n", m.Name, m.NsPerOp, m.BytesPerOp, m.AllocsPerOp, m.Samples)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// reportHead opens a new report file.
const reportHead = `# Load test report

Written by ` + "`make bench`" + ` (the bench section) and ` + "`make soak`" + ` (the soak section), each
replacing its own section; commit the file with the change it measures. The machine, commit and
settings are in each section.
`

// WriteReportSection puts markdown into the report file at path as the
// section named name (between <!-- begin name --> and <!-- end name -->
// markers), replacing that section if the file has it and appending it
// otherwise. The file is created when missing.
func WriteReportSection(path, name, markdown string) error {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		old, err = []byte(reportHead), nil
	}
	if err != nil {
		return err
	}
	begin, end := "<!-- begin "+name+" -->", "<!-- end "+name+" -->"
	section := begin + "\n" + strings.TrimRight(markdown, "\n") + "\n" + end
	text := string(old)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i >= 0 && j > i {
		text = text[:i] + section + text[j+len(end):]
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + section + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

func secs(s float64) string { return fmt.Sprintf("%gs", s) }

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func runsText(n int) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("median of %d runs (peak RSS: the highest)", n)
}
