// Package metrics aggregates the signer's request metrics in memory and
// writes them out periodically: as CloudWatch Embedded Metric Format (EMF)
// JSON lines, which the awslogs driver turns into CloudWatch metrics with no
// agent, and on demand in the Prometheus text format.
//
// The hot path (Observe, Issued) takes no lock and allocates nothing: every
// series is a set of atomic counters, found in a copy-on-write map that only
// changes when a new series (a new route, code, operation or caller) first
// appears. A flush writes one EMF line per series that saw activity since
// the previous flush, never one per request.
//
// Dimensions are bounded by construction: route patterns (never paths),
// error codes, operations, and the caller name only when
// Options.CallerDimension is set, capped at MaxCallers distinct names.
// Nothing else about a request (path, query, key, URL, header, secret)
// reaches a metric.
package metrics

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3presign/s3presign/signer/config"
)

// MaxCallers caps the distinct caller names kept as a dimension; later
// callers are counted under CallerOther.
const MaxCallers = 100

// CallerOther is the caller dimension value of every caller beyond MaxCallers.
const CallerOther = "other"

// Options configure a Registry.
type Options struct {
	// Environment is the value of the Environment dimension on every metric.
	Environment string
	// Namespace is the CloudWatch namespace of EMF lines; "" turns EMF
	// output off (Flush writes nothing).
	Namespace string
	// CallerDimension adds the caller's name as a dimension of the refusal
	// and issued-URL counters. Off by default: with OIDC, caller names are
	// as many as the identity provider's subjects.
	CallerDimension bool
}

// Observation is one answered request.
type Observation struct {
	// Route is the route pattern that matched; "" when none did.
	Route string
	// Code is the API error code answered; "" for a success.
	Code string
	// Duration is how long the request took.
	Duration time.Duration
	// Caller is the authenticated caller's name ("" for none).
	Caller string
	// Probe marks health-check routes: they get their own per-route series
	// but stay out of the environment-wide request and latency rollup, so
	// load balancer probes do not dilute the p99 of real requests.
	Probe bool
}

// Registry holds every series. The zero value is not usable; call New.
type Registry struct {
	opts    Options
	routes  table[string, routeSeries]
	refused table[labelKey, counter]
	issued  table[labelKey, counter]
	reloads table[labelKey, counter]
	callers table[string, struct{}]

	// flushMu serialises Flush; prev* hold what the previous flush saw.
	flushMu     sync.Mutex
	prevRoutes  map[string]*[NumBuckets]uint64
	prevRefused map[labelKey]uint64
	prevIssued  map[labelKey]uint64
	prevReloads map[labelKey]uint64
}

// New returns an empty registry.
func New(o Options) *Registry {
	return &Registry{
		opts:        o,
		prevRoutes:  map[string]*[NumBuckets]uint64{},
		prevRefused: map[labelKey]uint64{},
		prevIssued:  map[labelKey]uint64{},
		prevReloads: map[labelKey]uint64{},
	}
}

// labelKey names a counter series: a code or an operation, and the caller
// ("" when the caller dimension is off).
type labelKey struct{ name, caller string }

type counter struct{ n atomic.Uint64 }

// routeSeries is one route's latency histogram; its total is the request count.
type routeSeries struct {
	probe    bool
	buckets  [NumBuckets]atomic.Uint64
	sumNanos atomic.Uint64 // exact, for the Prometheus _sum
}

// Observe records one answered request: its latency under its route and,
// when it carries an error code, a refusal under that code.
func (r *Registry) Observe(o Observation) {
	route := o.Route
	if route == "" {
		route = config.RouteUnmatched
	}
	s := r.routes.get(route, func(s *routeSeries) { s.probe = o.Probe })
	d := max(o.Duration, 0)
	s.buckets[bucketOf(d)].Add(1)
	s.sumNanos.Add(uint64(d))
	if o.Code != "" {
		r.refused.get(labelKey{o.Code, r.callerLabel(o.Caller)}, nil).n.Add(1)
	}
}

// Issued records one URL (or POST form) handed out for operation op to caller.
func (r *Registry) Issued(op, caller string) {
	r.issued.get(labelKey{op, r.callerLabel(caller)}, nil).n.Add(1)
}

// KeyReload records one reload of the API-key lines: ok, or failed (the
// last good set kept).
func (r *Registry) KeyReload(ok bool) {
	result := config.ReloadFailed
	if ok {
		result = config.ReloadOK
	}
	r.reloads.get(labelKey{result, r.callerLabel("")}, nil).n.Add(1)
}

// callerLabel returns the caller dimension value: "" when the dimension is
// off, CallerNone for no caller, CallerOther past MaxCallers.
func (r *Registry) callerLabel(name string) string {
	if !r.opts.CallerDimension {
		return ""
	}
	if name == "" {
		return config.CallerNone
	}
	if r.callers.has(name) || r.callers.addBounded(name, MaxCallers) {
		return name
	}
	return CallerOther
}
