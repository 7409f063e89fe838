package config

import (
	"fmt"
	"regexp"
)

// Bounds of the alarm thresholds.
const (
	// MaxAlarmLatencyMs bounds alarmLatencyP99Ms (the ALB gives up after 60 s).
	MaxAlarmLatencyMs = 60000
	// MaxAlarmRefusals bounds alarmRefusalsPer5Min.
	MaxAlarmRefusals = 1000000
	// MaxAlarmEmails bounds alarmEmails.
	MaxAlarmEmails = 10
)

// emailRE is deliberately simple: SNS confirms each address by mail anyway.
var emailRE = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}$`)

// validateMonitoring checks the malware-scanning, metrics and alarm settings.
func validateMonitoring(p *problems, e Environment) {
	if len(e.AlarmEmails) > MaxAlarmEmails {
		p.bad("alarmEmails", "at most %d addresses, got %d (subscribe a list address instead)", MaxAlarmEmails, len(e.AlarmEmails))
	}
	seen := map[string]bool{}
	for i, m := range e.AlarmEmails {
		if !emailRE.MatchString(m) {
			p.bad(fmt.Sprintf("alarmEmails[%d]", i), "must be an email address such as ops@example.com, got %q", m)
		}
		if seen[m] {
			p.bad(fmt.Sprintf("alarmEmails[%d]", i), "%q is listed twice", m)
		}
		seen[m] = true
	}
	if pct := e.AlarmServerErrorPercent; pct < 1 || pct > 100 {
		p.bad("alarmServerErrorPercent", "must be a percentage between 1 and 100, got %d", pct)
	}
	if ms := e.AlarmLatencyP99Ms; ms < 1 || ms > MaxAlarmLatencyMs {
		p.bad("alarmLatencyP99Ms", "must be between 1 and %d milliseconds, got %d", MaxAlarmLatencyMs, ms)
	}
	if n := e.AlarmUnhealthyHosts; n < 1 || n > MaxTasks {
		p.bad("alarmUnhealthyHosts", "must be between 1 and %d targets, got %d", MaxTasks, n)
	}
	if n := e.AlarmRefusalsPer5Min; n < 1 || n > MaxAlarmRefusals {
		p.bad("alarmRefusalsPer5Min", "must be between 1 and %d, got %d", MaxAlarmRefusals, n)
	}
}
