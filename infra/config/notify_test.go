package config_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
)

func TestNotifyDefaultsAndEndpoint(t *testing.T) {
	env, err := config.Load(json.RawMessage(`{"dev":{}}`), "dev")
	if err != nil {
		t.Fatal(err)
	}
	if env.Notify.HasEndpoint() || env.Notify.RetentionDays != 14 || env.Notify.HeaderName != "Authorization" || env.Notify.AlarmAgeMinutes != 60 {
		t.Fatalf("defaults: %+v", env.Notify)
	}
	ok := `{"dev":{"notifyEndpoint":"https://app.example.com/hooks/uploads","notifySecretArn":"arn:aws:secretsmanager:eu-west-1:111111111111:secret:s3presign/hook-AbCdEf","notifyRetentionDays":7}}`
	env, err = config.Load(json.RawMessage(ok), "dev")
	if err != nil || !env.Notify.HasEndpoint() || env.Notify.RetentionDays != 7 {
		t.Fatalf("control: %+v, %v", env.Notify, err)
	}
}

func TestNotifyRefusals(t *testing.T) {
	const secret = `"arn:aws:secretsmanager:eu-west-1:111111111111:secret:hook-AbCdEf"`
	for name, c := range map[string]struct{ body, want string }{
		"http endpoint":       {`{"notifyEndpoint":"http://app.example.com/h","notifySecretArn":` + secret + `}`, "dev.notifyEndpoint: must be an https URL"},
		"endpoint, no secret": {`{"notifyEndpoint":"https://app.example.com/h"}`, "dev.notifySecretArn: is required with notifyEndpoint"},
		"secret, no endpoint": {`{"notifySecretArn":` + secret + `}`, "dev.notifySecretArn: is only used with notifyEndpoint"},
		"bad secret arn":      {`{"notifyEndpoint":"https://app.example.com/h","notifySecretArn":"hook"}`, "dev.notifySecretArn: must be a Secrets Manager secret ARN"},
		"bad header":          {`{"notifyHeaderName":"X Auth"}`, "dev.notifyHeaderName: must be an HTTP header name"},
		"retention too long":  {`{"notifyRetentionDays":15}`, "dev.notifyRetentionDays: must be between 1 and 14"},
		"age after expiry":    {`{"notifyRetentionDays":1,"alarmNotifyAgeMinutes":1440}`, "dev.alarmNotifyAgeMinutes: must be between 1"},
	} {
		_, err := config.Load(json.RawMessage(`{"dev":`+c.body+`}`), "dev")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}
