package config

import (
	"strings"
	"testing"
	"time"
)

// base is a valid minimal environment.
func base(kv map[string]string) func(string) string {
	all := map[string]string{EnvBucket: "bucket", EnvRegion: "eu-west-1", EnvAuthMode: "none"}
	for k, v := range kv {
		all[k] = v
	}
	return env(all)
}

func TestMetricsDefaults(t *testing.T) {
	c, err := Load(base(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsNamespace != "S3Presign" || c.MetricsInterval != time.Minute || c.MetricsAddr != "" ||
		c.MetricsCallerDimension || c.ScanCheck {
		t.Fatalf("defaults: namespace %q interval %s addr %q caller %v scan %v; want S3Presign, 1m, off, false, false",
			c.MetricsNamespace, c.MetricsInterval, c.MetricsAddr, c.MetricsCallerDimension, c.ScanCheck)
	}
}

func TestMetricsSettings(t *testing.T) {
	c, err := Load(base(map[string]string{
		EnvMetricsNamespace:       "Team/S3Presign",
		EnvMetricsInterval:        "10s",
		EnvMetricsAddr:            "127.0.0.1:9090",
		EnvMetricsCallerDimension: "true",
		EnvScanCheck:              "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsNamespace != "Team/S3Presign" || c.MetricsInterval != 10*time.Second || c.MetricsAddr != "127.0.0.1:9090" ||
		!c.MetricsCallerDimension || !c.ScanCheck {
		t.Fatalf("got %q %s %q %v %v", c.MetricsNamespace, c.MetricsInterval, c.MetricsAddr, c.MetricsCallerDimension, c.ScanCheck)
	}
	c, err = Load(base(map[string]string{EnvMetricsNamespace: "off"}))
	if err != nil || c.MetricsNamespace != "" {
		t.Fatalf("namespace off: %q, %v; want EMF off", c.MetricsNamespace, err)
	}
}

func TestMetricsBadValuesAreNamed(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{EnvMetricsNamespace, "AWS/Mine", "not starting with AWS/"},
		{EnvMetricsNamespace, "bad{name}", "must be 1-255 characters"},
		{EnvMetricsNamespace, strings.Repeat("n", 256), "must be 1-255 characters"},
		{EnvMetricsInterval, "soon", "positive Go duration"},
		{EnvMetricsInterval, "500ms", "between 1s and 15m0s"},
		{EnvMetricsInterval, "1h", "between 1s and 15m0s"},
		{EnvMetricsAddr, "9090", "not host:port"},
		{EnvMetricsAddr, ":8080", "uses the port of " + EnvListenAddr},
		{EnvMetricsCallerDimension, "sometimes", "true or false"},
		{EnvScanCheck, "maybe", "true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Load(base(map[string]string{tt.name: tt.value}))
			if err == nil || !strings.Contains(err.Error(), tt.name+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error naming %s with %q", err, tt.name, tt.want)
			}
		})
	}
	// All at once: every one is named.
	_, err := Load(base(map[string]string{EnvMetricsNamespace: "AWS/x", EnvMetricsInterval: "0s", EnvMetricsAddr: "x",
		EnvMetricsCallerDimension: "?", EnvScanCheck: "?"}))
	for _, name := range []string{EnvMetricsNamespace, EnvMetricsInterval, EnvMetricsAddr, EnvMetricsCallerDimension, EnvScanCheck} {
		if err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	// Controls: a private port of its own, and port 0, are fine.
	for _, addr := range []string{"127.0.0.1:9090", ":0"} {
		if _, err := Load(base(map[string]string{EnvMetricsAddr: addr})); err != nil {
			t.Errorf("%s=%s: %v", EnvMetricsAddr, addr, err)
		}
	}
}
