package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
)

func TestMonitoringSettingsAreValidated(t *testing.T) {
	tests := []struct {
		key   string
		value any
		want  string
	}{
		{"malwareScanning", "on", "dev.malwareScanning: want true or false"},
		{"metricsCallerDimension", 1, "dev.metricsCallerDimension: want true or false"},
		{"alarmEmails", "ops@example.com", "dev.alarmEmails: want a list of strings"},
		{"alarmEmails", []string{"ops"}, "dev.alarmEmails[0]: must be an email address"},
		{"alarmEmails", []string{"a@example.com", "a@example.com"}, "dev.alarmEmails[1]: \"a@example.com\" is listed twice"},
		{"alarmEmails", strings.Split("a@x.io,b@x.io,c@x.io,d@x.io,e@x.io,f@x.io,g@x.io,h@x.io,i@x.io,j@x.io,k@x.io", ","), "dev.alarmEmails: at most 10"},
		{"alarmServerErrorPercent", 0, "dev.alarmServerErrorPercent: must be a percentage between 1 and 100"},
		{"alarmServerErrorPercent", 101, "dev.alarmServerErrorPercent: must be a percentage"},
		{"alarmLatencyP99Ms", 0, "dev.alarmLatencyP99Ms: must be between 1 and 60000"},
		{"alarmLatencyP99Ms", "1s", "dev.alarmLatencyP99Ms: want a whole number"},
		{"alarmUnhealthyHosts", 0, "dev.alarmUnhealthyHosts: must be between 1 and 100"},
		{"alarmRefusalsPer5Min", -5, "dev.alarmRefusalsPer5Min: must be between 1 and 1000000"},
		// Controls: valid values load.
		{"alarmEmails", []string{"ops@example.com", "on-call+s3presign@team.example.org"}, ""},
		{"malwareScanning", true, ""},
		{"alarmLatencyP99Ms", 60000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+jsonString(tt.value), func(t *testing.T) {
			_, err := config.Load(envsJSON(t, "dev", map[string]any{tt.key: tt.value}), "dev")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("control: got %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestMonitoringDefaults(t *testing.T) {
	d := config.Defaults("x")
	if d.MalwareScanning || d.MetricsCallerDimension || len(d.AlarmEmails) != 0 ||
		d.AlarmServerErrorPercent != 5 || d.AlarmLatencyP99Ms != 500 || d.AlarmUnhealthyHosts != 1 || d.AlarmRefusalsPer5Min != 100 {
		t.Fatalf("defaults: %+v", d)
	}
}

func TestProdScansForMalwareAndMailsAlarms(t *testing.T) {
	data, err := os.ReadFile(repoFile(t, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	prod, err := config.LoadCDKJSON(data, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if !prod.MalwareScanning || len(prod.AlarmEmails) == 0 {
		t.Errorf("prod: malwareScanning %v alarmEmails %v; want scanning on and someone to tell", prod.MalwareScanning, prod.AlarmEmails)
	}
	dev, _ := config.LoadCDKJSON(data, "dev")
	if dev.MalwareScanning {
		t.Error("dev: malwareScanning on; want it off (cheap, and versitygw cannot apply the tag condition locally)")
	}
}
