package metrics

import (
	"cmp"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/s3presign/s3presign/signer/config"
)

// Flush writes, as CloudWatch Embedded Metric Format, one JSON line per
// series that saw activity since the previous Flush, stamped now. Each line
// is one Write. Series are written in a fixed order (routes, then refusals,
// then issued URLs, each sorted), so output is deterministic. With no
// namespace configured it writes nothing.
//
// A route line carries Requests and the Latency histogram (Values and
// Counts in milliseconds, with Min, Max, Count and Sum, as CloudWatch's
// histogram form of EMF wants); a refusal line carries Refused; an issued
// line carries URLsIssued. Each line names two dimension sets: the series'
// own (e.g. Environment+Route) and the environment-wide rollup
// (Environment), except health-check routes, which have no rollup.
func (r *Registry) Flush(w io.Writer, now time.Time) error {
	if r.opts.Namespace == "" {
		return nil
	}
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	ts := now.UnixMilli()
	var lines [][]byte

	routes := r.routes.load()
	for _, route := range sortedKeys(routes, cmp.Compare[string]) {
		s := routes[route]
		prev := r.prevRoutes[route]
		if prev == nil {
			prev = new([NumBuckets]uint64)
			r.prevRoutes[route] = prev
		}
		var delta [NumBuckets]uint64
		var total uint64
		for i := range s.buckets {
			cur := s.buckets[i].Load()
			delta[i] = cur - prev[i]
			prev[i] = cur
			total += delta[i]
		}
		if total == 0 {
			continue
		}
		lines = append(lines, r.routeLine(ts, route, s.probe, total, &delta))
	}
	lines = r.counterLines(lines, ts, r.refused.load(), r.prevRefused, config.DimCode, config.MetricRefused)
	lines = r.counterLines(lines, ts, r.issued.load(), r.prevIssued, config.DimOperation, config.MetricURLsIssued)
	lines = r.counterLines(lines, ts, r.reloads.load(), r.prevReloads, config.DimResult, config.MetricAPIKeyReloads)

	for _, l := range lines {
		if _, err := w.Write(l); err != nil {
			return err
		}
	}
	return nil
}

// counterLines appends the lines of the counters that moved since prev.
func (r *Registry) counterLines(lines [][]byte, ts int64, series map[labelKey]*counter, prev map[labelKey]uint64, dim, metric string) [][]byte {
	for _, k := range sortedKeys(series, compareLabels) {
		cur := series[k].n.Load()
		delta := cur - prev[k]
		prev[k] = cur
		if delta == 0 {
			continue
		}
		var b emfLine
		b.begin(ts, r.opts.Namespace, r.dimensionSets(dim), []metricDef{{metric, "Count"}})
		b.field(config.DimEnvironment, r.opts.Environment)
		b.field(dim, k.name)
		if r.opts.CallerDimension {
			b.field(config.DimCaller, k.caller)
		}
		b.number(metric, strconv.FormatUint(delta, 10))
		lines = append(lines, b.end())
	}
	return lines
}

func (r *Registry) routeLine(ts int64, route string, probe bool, total uint64, delta *[NumBuckets]uint64) []byte {
	var b emfLine
	sets := [][]string{{config.DimEnvironment, config.DimRoute}}
	if !probe {
		sets = append(sets, []string{config.DimEnvironment})
	}
	b.begin(ts, r.opts.Namespace, sets, []metricDef{{config.MetricRequests, "Count"}, {config.MetricLatency, "Milliseconds"}})
	b.field(config.DimEnvironment, r.opts.Environment)
	b.field(config.DimRoute, route)
	b.number(config.MetricRequests, strconv.FormatUint(total, 10))

	var values, counts []byte
	var sumNanos uint64 // bucket midpoints are whole nanoseconds
	var lo, hi float64
	first := true
	for i, n := range delta {
		if n == 0 {
			continue
		}
		v := representativeMillis(i)
		if !first {
			values = append(values, ',')
			counts = append(counts, ',')
		}
		values = strconv.AppendFloat(values, v, 'f', -1, 64)
		counts = strconv.AppendUint(counts, n, 10)
		sumNanos += midpointNanos(i) * n
		if first {
			lo = v
		}
		hi = v
		first = false
	}
	h := make([]byte, 0, len(values)+len(counts)+96)
	h = append(h, `{"Values":[`...)
	h = append(h, values...)
	h = append(h, `],"Counts":[`...)
	h = append(h, counts...)
	h = append(h, `],"Max":`...)
	h = strconv.AppendFloat(h, hi, 'f', -1, 64)
	h = append(h, `,"Min":`...)
	h = strconv.AppendFloat(h, lo, 'f', -1, 64)
	h = append(h, `,"Count":`...)
	h = strconv.AppendUint(h, total, 10)
	h = append(h, `,"Sum":`...)
	h = strconv.AppendFloat(h, float64(sumNanos)/1e6, 'f', -1, 64)
	h = append(h, '}')
	b.number(config.MetricLatency, string(h))
	return b.end()
}

// dimensionSets returns a counter line's dimension sets: its own
// (Environment + dim), the environment-wide rollup, and the caller's
// (Environment + Caller) when that dimension is on.
func (r *Registry) dimensionSets(dim string) [][]string {
	sets := [][]string{{config.DimEnvironment, dim}, {config.DimEnvironment}}
	if r.opts.CallerDimension {
		sets = append(sets, []string{config.DimEnvironment, config.DimCaller})
	}
	return sets
}

type metricDef struct{ name, unit string }

// emfLine builds one EMF document: the _aws metadata first, then the
// dimension and metric members in the order they are added.
type emfLine struct{ b []byte }

func (l *emfLine) begin(ts int64, namespace string, sets [][]string, metrics []metricDef) {
	l.b = append(l.b, `{"_aws":{"Timestamp":`...)
	l.b = strconv.AppendInt(l.b, ts, 10)
	l.b = append(l.b, `,"CloudWatchMetrics":[{"Namespace":`...)
	l.b = appendString(l.b, namespace)
	l.b = append(l.b, `,"Dimensions":[`...)
	for i, set := range sets {
		if i > 0 {
			l.b = append(l.b, ',')
		}
		l.b = append(l.b, '[')
		for j, d := range set {
			if j > 0 {
				l.b = append(l.b, ',')
			}
			l.b = appendString(l.b, d)
		}
		l.b = append(l.b, ']')
	}
	l.b = append(l.b, `],"Metrics":[`...)
	for i, m := range metrics {
		if i > 0 {
			l.b = append(l.b, ',')
		}
		l.b = append(l.b, `{"Name":`...)
		l.b = appendString(l.b, m.name)
		l.b = append(l.b, `,"Unit":`...)
		l.b = appendString(l.b, m.unit)
		l.b = append(l.b, '}')
	}
	l.b = append(l.b, `]}]}`...)
}

// field adds a string member.
func (l *emfLine) field(name, value string) {
	l.b = append(l.b, ',')
	l.b = appendString(l.b, name)
	l.b = append(l.b, ':')
	l.b = appendString(l.b, value)
}

// number adds a member whose value is already JSON (a number or object).
func (l *emfLine) number(name, raw string) {
	l.b = append(l.b, ',')
	l.b = appendString(l.b, name)
	l.b = append(l.b, ':')
	l.b = append(l.b, raw...)
}

func (l *emfLine) end() []byte { return append(l.b, '}', '\n') }

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, err := json.Marshal(s)
	if err != nil { // cannot happen for a string
		return append(b, `""`...)
	}
	return append(b, q...)
}

func compareLabels(a, b labelKey) int {
	if c := cmp.Compare(a.name, b.name); c != 0 {
		return c
	}
	return cmp.Compare(a.caller, b.caller)
}

func sortedKeys[K comparable, V any](m map[K]V, compare func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compare)
	return keys
}
