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
func validateMonitoring(e Environment) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", e.Name, key, fmt.Sprintf(format, args...)))
	}
	if len(e.AlarmEmails) > MaxAlarmEmails {
		bad("alarmEmails", "at most %d addresses, got %d (subscribe a list address instead)", MaxAlarmEmails, len(e.AlarmEmails))
	}
	seen := map[string]bool{}
	for i, m := range e.AlarmEmails {
		if !emailRE.MatchString(m) {
			bad(fmt.Sprintf("alarmEmails[%d]", i), "must be an email address such as ops@example.com, got %q", m)
		}
		if seen[m] {
			bad(fmt.Sprintf("alarmEmails[%d]", i), "%q is listed twice", m)
		}
		seen[m] = true
	}
	if p := e.AlarmServerErrorPercent; p < 1 || p > 100 {
		bad("alarmServerErrorPercent", "must be a percentage between 1 and 100, got %d", p)
	}
	if ms := e.AlarmLatencyP99Ms; ms < 1 || ms > MaxAlarmLatencyMs {
		bad("alarmLatencyP99Ms", "must be between 1 and %d milliseconds, got %d", MaxAlarmLatencyMs, ms)
	}
	if n := e.AlarmUnhealthyHosts; n < 1 || n > MaxTasks {
		bad("alarmUnhealthyHosts", "must be between 1 and %d targets, got %d", MaxTasks, n)
	}
	if n := e.AlarmRefusalsPer5Min; n < 1 || n > MaxAlarmRefusals {
		bad("alarmRefusalsPer5Min", "must be between 1 and %d, got %d", MaxAlarmRefusals, n)
	}
	return errs
}
