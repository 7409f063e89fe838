package config

import (
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/internal/rules"
)

func TestLoadMultipart(t *testing.T) {
	base := map[string]string{EnvBucket: "bucket", EnvRegion: "eu-west-1", EnvAuthMode: "none"}
	tests := []struct {
		name string
		kv   map[string]string
		want rules.Multipart
		errs []string // each must appear in the error; none: valid
	}{
		{name: "defaults: threshold capped by the single upload limit", want: rules.Multipart{Threshold: DefaultMaxSize, PartSize: DefaultPartSize, MaxSize: DefaultMaxMultipartSize}},
		{name: "default threshold with a large single limit", kv: map[string]string{EnvMaxSize: "1GiB"},
			want: rules.Multipart{Threshold: DefaultMultipartThreshold, PartSize: DefaultPartSize, MaxSize: DefaultMaxMultipartSize}},
		{name: "max needs too many parts", kv: map[string]string{EnvMaxSize: "64MiB", EnvMultipartThreshold: "32MiB", EnvPartSize: "8MiB", EnvMaxMultipartSize: "1TiB"},
			errs: []string{EnvMaxMultipartSize + ": 1099511627776 bytes needs more than 10000 parts", "raise " + EnvPartSize + " to at least 109951163"}},
		{name: "largest", kv: map[string]string{EnvMaxSize: "5GiB", EnvMultipartThreshold: "5GiB", EnvPartSize: "5GiB", EnvMaxMultipartSize: "50000GiB"},
			want: rules.Multipart{Threshold: 5 << 30, PartSize: 5 << 30, MaxSize: 50000 << 30}},
		{name: "valid custom", kv: map[string]string{EnvMaxSize: "64MiB", EnvMultipartThreshold: "32MiB", EnvPartSize: "8MiB", EnvMaxMultipartSize: "50GiB"},
			want: rules.Multipart{Threshold: 32 << 20, PartSize: 8 << 20, MaxSize: 50 << 30}},
		{name: "part too small", kv: map[string]string{EnvPartSize: "4MiB"}, errs: []string{EnvPartSize + ": 4194304 is outside 5MiB..5GiB"}},
		{name: "part too large", kv: map[string]string{EnvPartSize: "6GiB"}, errs: []string{EnvPartSize + ": 6442450944 is outside"}},
		{name: "threshold above single limit", kv: map[string]string{EnvMultipartThreshold: "11MiB"}, errs: []string{EnvMultipartThreshold + ": 11534336 is above " + EnvMaxSize}},
		{name: "threshold above multipart max", kv: map[string]string{EnvMaxSize: "1GiB", EnvMultipartThreshold: "200MiB", EnvMaxMultipartSize: "100MiB"},
			errs: []string{EnvMultipartThreshold + ": 209715200 is above " + EnvMaxMultipartSize}},
		{name: "every bad value named", kv: map[string]string{EnvMultipartThreshold: "lots", EnvPartSize: "-1", EnvMaxMultipartSize: "1PiB"},
			errs: []string{EnvMultipartThreshold + `: "lots"`, EnvPartSize + `: "-1"`, EnvMaxMultipartSize + `: "1PiB"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := map[string]string{}
			for k, v := range base {
				kv[k] = v
			}
			for k, v := range tt.kv {
				kv[k] = v
			}
			c, err := Load(env(kv))
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if c.Multipart != tt.want {
					t.Errorf("Multipart = %+v, want %+v", c.Multipart, tt.want)
				}
				if err := c.Multipart.Validate(c.Limits.MaxSize); err != nil {
					t.Errorf("loaded limits do not validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load accepted %v", tt.kv)
			}
			for _, s := range tt.errs {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q\ndoes not hold %q", err, s)
				}
			}
		})
	}
}
