package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// field maps one cdk.json key to the Environment field it sets.
type field struct {
	key    string
	decode func(raw json.RawMessage, e *Environment) error
}

// fields lists every accepted key; any other key is reported as unknown, so a
// typo cannot silently fall back to a default.
var fields = []field{
	{"production", boolean(func(e *Environment) *bool { return &e.Production })},
	{"account", str(func(e *Environment) *string { return &e.Account })},
	{"region", str(func(e *Environment) *string { return &e.Region })},
	{"availabilityZones", strs(func(e *Environment) *[]string { return &e.AvailabilityZones })},
	{"allowedOrigins", strs(func(e *Environment) *[]string { return &e.AllowedOrigins })},
	{"allowedReferers", strs(func(e *Environment) *[]string { return &e.AllowedReferers })},
	{"exemptPrincipalArns", strs(func(e *Environment) *[]string { return &e.ExemptPrincipalArns })},
	{"uploadPrefix", str(func(e *Environment) *string { return &e.UploadPrefix })},
	{"allowedTypes", strs(func(e *Environment) *[]string { return &e.AllowedTypes })},
	{"maxSize", int64s(func(e *Environment) *int64 { return &e.MaxSize })},
	{"defaultExpiry", duration(func(e *Environment) *time.Duration { return &e.DefaultExpiry })},
	{"maxExpiry", duration(func(e *Environment) *time.Duration { return &e.MaxExpiry })},
	{"signing", str(func(e *Environment) *string { return &e.Signing })},
	{"authMode", str(func(e *Environment) *string { return &e.AuthMode })},
	{"oidcIssuer", str(func(e *Environment) *string { return &e.OIDCIssuer })},
	{"oidcAudience", str(func(e *Environment) *string { return &e.OIDCAudience })},
	{"compatRoutes", boolean(func(e *Environment) *bool { return &e.CompatRoutes })},
	{"compatOverwrite", str(func(e *Environment) *string { return &e.CompatOverwrite })},
	{"compatUnsized", str(func(e *Environment) *string { return &e.CompatUnsized })},
	{"desiredCount", integer(func(e *Environment) *int { return &e.DesiredCount })},
	{"maxCount", integer(func(e *Environment) *int { return &e.MaxCount })},
	{"cpu", integer(func(e *Environment) *int { return &e.CPU })},
	{"memoryMiB", integer(func(e *Environment) *int { return &e.MemoryMiB })},
	{"cpuArchitecture", str(func(e *Environment) *string { return &e.CPUArchitecture })},
	{"certificateArn", str(func(e *Environment) *string { return &e.CertificateArn })},
	{"domainName", str(func(e *Environment) *string { return &e.DomainName })},
	{"wafEnabled", boolean(func(e *Environment) *bool { return &e.WAFEnabled })},
	{"wafRateLimit", integer(func(e *Environment) *int { return &e.WAFRateLimit })},
	{"natGateways", integer(func(e *Environment) *int { return &e.NatGateways })},
	{"vpcFlowLogs", boolean(func(e *Environment) *bool { return &e.VPCFlowLogs })},
	{"noncurrentVersionExpiryDays", integer(func(e *Environment) *int { return &e.NoncurrentVersionExpiryDays })},
	{"accessLogExpiryDays", integer(func(e *Environment) *int { return &e.AccessLogExpiryDays })},
	{"logRetentionDays", integer(func(e *Environment) *int { return &e.LogRetentionDays })},
	{"encryption", str(func(e *Environment) *string { return &e.Encryption })},
	{"removalPolicy", str(func(e *Environment) *string { return &e.RemovalPolicy })},
	{"malwareScanning", boolean(func(e *Environment) *bool { return &e.MalwareScanning })},
	{"metricsCallerDimension", boolean(func(e *Environment) *bool { return &e.MetricsCallerDimension })},
	{"alarmEmails", strs(func(e *Environment) *[]string { return &e.AlarmEmails })},
	{"alarmServerErrorPercent", integer(func(e *Environment) *int { return &e.AlarmServerErrorPercent })},
	{"alarmLatencyP99Ms", integer(func(e *Environment) *int { return &e.AlarmLatencyP99Ms })},
	{"alarmUnhealthyHosts", integer(func(e *Environment) *int { return &e.AlarmUnhealthyHosts })},
	{"alarmRefusalsPer5Min", integer(func(e *Environment) *int { return &e.AlarmRefusalsPer5Min })},
	{"notifyEndpoint", str(func(e *Environment) *string { return &e.Notify.Endpoint })},
	{"notifySecretArn", str(func(e *Environment) *string { return &e.Notify.SecretArn })},
	{"notifyHeaderName", str(func(e *Environment) *string { return &e.Notify.HeaderName })},
	{"notifyRetentionDays", integer(func(e *Environment) *int { return &e.Notify.RetentionDays })},
	{"alarmNotifyAgeMinutes", integer(func(e *Environment) *int { return &e.Notify.AlarmAgeMinutes })},
}

// Keys returns every accepted cdk.json key of an environment, in the order
// they are documented.
func Keys() []string {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	return keys
}

// decodeEnvironment starts from Defaults(name), applies every key in raw and
// validates the result. Each error is prefixed with "name.key: ".
func decodeEnvironment(name string, raw json.RawMessage) (Environment, error) {
	env := Defaults(name)
	var errs []error
	if err := checkName(name); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return env, errors.Join(append(errs, fmt.Errorf("%s: want an object of settings", name))...)
	}
	known := make(map[string]bool, len(fields))
	for _, f := range fields {
		known[f.key] = true
		v, ok := obj[f.key]
		if !ok {
			continue
		}
		if err := f.decode(v, &env); err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: %w", name, f.key, err))
		}
	}
	if _, set := obj["compatUnsized"]; !set {
		env.CompatUnsized = defaultCompatUnsized(env.Production)
	}
	var unknown []string
	for k := range obj {
		if !known[k] && !IsComment(k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, fmt.Errorf("%s.%s: unknown setting (known: see infra/config Keys)", name, k))
	}
	errs = append(errs, validate(env)...)
	return env, errors.Join(errs...)
}

func strict(raw json.RawMessage, v any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return errors.New("must not be null")
	}
	return json.Unmarshal(raw, v)
}

func str(at func(*Environment) *string) func(json.RawMessage, *Environment) error {
	return func(raw json.RawMessage, e *Environment) error {
		if err := strict(raw, at(e)); err != nil {
			return fmt.Errorf("want a string")
		}
		return nil
	}
}

func strs(at func(*Environment) *[]string) func(json.RawMessage, *Environment) error {
	return func(raw json.RawMessage, e *Environment) error {
		var v []string
		if err := strict(raw, &v); err != nil {
			return fmt.Errorf("want a list of strings")
		}
		if v == nil {
			v = []string{}
		}
		*at(e) = v
		return nil
	}
}

func integer(at func(*Environment) *int) func(json.RawMessage, *Environment) error {
	return func(raw json.RawMessage, e *Environment) error {
		if err := strict(raw, at(e)); err != nil {
			return fmt.Errorf("want a whole number, got %s", raw)
		}
		return nil
	}
}

func int64s(at func(*Environment) *int64) func(json.RawMessage, *Environment) error {
	return func(raw json.RawMessage, e *Environment) error {
		if err := strict(raw, at(e)); err != nil {
			return fmt.Errorf("want a whole number of bytes, got %s", raw)
		}
		return nil
	}
}

func boolean(at func(*Environment) *bool) func(json.RawMessage, *Environment) error {
	return func(raw json.RawMessage, e *Environment) error {
		if err := strict(raw, at(e)); err != nil {
			return fmt.Errorf("want true or false, got %s", raw)
		}
		return nil
	}
}

func duration(at func(*Environment) *time.Duration) func(json.RawMessage, *Environment) error {
	return func(raw json.RawMessage, e *Environment) error {
		var s string
		if err := strict(raw, &s); err != nil {
			return fmt.Errorf("want a duration string such as \"15m\", got %s", raw)
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration string such as \"15m\", got %q", s)
		}
		*at(e) = d
		return nil
	}
}
