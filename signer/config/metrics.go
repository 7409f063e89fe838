package config

import (
	"strings"
	"time"
)

// Defaults and bounds of the metrics and scan-check settings.
const (
	// DefaultMetricsInterval is how often aggregated metrics are flushed.
	DefaultMetricsInterval = time.Minute
	// MinMetricsInterval and MaxMetricsInterval bound EnvMetricsInterval.
	MinMetricsInterval = time.Second
	MaxMetricsInterval = 15 * time.Minute
	// MetricsOff is the EnvMetricsNamespace value that turns EMF output off
	// (an unset variable means the default namespace).
	MetricsOff = "off"
)

// metricsVars are the raw values of the metrics and scan-check settings.
type metricsVars struct {
	namespace, addr string
}

// readMetrics reads the metrics and scan-check settings into c.
func (l *loader) readMetrics(c *Config) metricsVars {
	v := metricsVars{namespace: l.str(EnvMetricsNamespace, DefaultMetricsNamespace)}
	c.MetricsInterval = l.duration(EnvMetricsInterval, DefaultMetricsInterval)
	v.addr = l.str(EnvMetricsAddr, "")
	c.MetricsCallerDimension = l.boolean(EnvMetricsCallerDimension, false)
	c.ScanCheck = l.boolean(EnvScanCheck, false)
	return v
}

// checkMetrics validates the metrics settings into c. It needs c.ListenAddr.
func (l *loader) checkMetrics(c *Config, v metricsVars) {
	switch {
	case strings.EqualFold(v.namespace, MetricsOff):
		c.MetricsNamespace = ""
	case !validNamespace(v.namespace):
		l.fail(EnvMetricsNamespace, "%q must be 1-255 characters a-z A-Z 0-9 . - _ / # : or space, not starting with AWS/ (or %q to turn EMF off)", v.namespace, MetricsOff)
	default:
		c.MetricsNamespace = v.namespace
	}
	if d := c.MetricsInterval; d != 0 && (d < MinMetricsInterval || d > MaxMetricsInterval) {
		l.fail(EnvMetricsInterval, "%s must be between %s and %s", d, MinMetricsInterval, MaxMetricsInterval)
	}
	if v.addr != "" {
		if err := checkListenAddr(v.addr); err != nil {
			l.fail(EnvMetricsAddr, "%v", err)
		} else if samePort(v.addr, c.ListenAddr) {
			l.fail(EnvMetricsAddr, "%q uses the port of %s (%q); /metrics must be on a private port of its own", v.addr, EnvListenAddr, c.ListenAddr)
		} else {
			c.MetricsAddr = v.addr
		}
	}
}

// validNamespace applies CloudWatch's namespace rules.
func validNamespace(ns string) bool {
	if len(ns) == 0 || len(ns) > 255 || strings.HasPrefix(ns, "AWS/") || strings.TrimSpace(ns) == "" {
		return false
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-_/#: ", c) >= 0) {
			return false
		}
	}
	return true
}

// samePort reports whether two valid listen addresses share a port number
// (port 0, a free port, never clashes).
func samePort(a, b string) bool {
	pa, pb := portOf(a), portOf(b)
	return pa != "" && pa == pb
}

func portOf(addr string) string {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return ""
	}
	return strings.TrimLeft(addr[i+1:], "0")
}
