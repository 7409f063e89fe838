package stacks_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/monitoring"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// alarmsByID returns the alarms of a service template by construct id (the
// logical id starts with "SignerMonitoring" + id, or "Monitoring" + id).
func alarmsByID(t *testing.T, s *synthesized) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for logical, r := range resources(s.service, "AWS::CloudWatch::Alarm") {
		for _, id := range []string{monitoring.AlarmServerErrors, monitoring.AlarmLatency, monitoring.AlarmUnhealthyHosts, monitoring.AlarmRefusals, monitoring.AlarmMalware, monitoring.AlarmKeyReloads} {
			if regexp.MustCompile(`^Monitoring` + id + `[0-9A-F]{8}$`).MatchString(logical) {
				out[id] = props(r)
			}
		}
	}
	return out
}

func TestAlarmsWatchTheRightMetricsAtTheConfiguredThresholds(t *testing.T) {
	for _, s := range []*synthesized{synthEnv(t, "dev"), synthEnv(t, "prod"), opsVariant(t), variant(t)} {
		env := s.env
		alarms := alarmsByID(t, s)
		want := 4
		if env.MalwareScanning {
			want++
		}
		if env.AuthMode == config.AuthAPIKey {
			want++
		}
		if len(alarms) != want || len(resources(s.service, "AWS::CloudWatch::Alarm")) != want {
			t.Fatalf("%s: alarms %d (found by id %d), want %d", env.Name, len(resources(s.service, "AWS::CloudWatch::Alarm")), len(alarms), want)
		}
		envDim := `[{"Name":"Environment","Value":"` + env.Name + `"}]`
		check := func(id, field string, got, want any) {
			t.Helper()
			if js(got) != js(want) {
				t.Errorf("%s: alarm %s %s = %s, want %s", env.Name, id, field, js(got), js(want))
			}
		}
		common := func(id string, threshold float64, op string, evaluate, breaching float64) map[string]any {
			p := alarms[id]
			check(id, "Threshold", p["Threshold"], threshold)
			check(id, "ComparisonOperator", p["ComparisonOperator"], op)
			check(id, "EvaluationPeriods", p["EvaluationPeriods"], evaluate)
			check(id, "DatapointsToAlarm", p["DatapointsToAlarm"], breaching)
			check(id, "TreatMissingData", p["TreatMissingData"], "notBreaching")
			return p
		}

		// ALB 5xx rate: a metric-math alarm over ELB + target 5xx and RequestCount.
		p := common(monitoring.AlarmServerErrors, float64(env.AlarmServerErrorPercent), "GreaterThanThreshold", 5, 3)
		m := js(p["Metrics"])
		for _, part := range []string{`"Expression":"100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests"`, `"MetricName":"HTTPCode_ELB_5XX_Count"`,
			`"MetricName":"HTTPCode_Target_5XX_Count"`, `"MetricName":"RequestCount"`, `"Namespace":"AWS/ApplicationELB"`, `"Stat":"Sum"`, `"Period":60`} {
			if !strings.Contains(m, part) {
				t.Errorf("%s: 5xx alarm metrics lack %s: %s", env.Name, part, m)
			}
		}

		// p99 latency of the signer's EMF metric, environment rollup.
		p = common(monitoring.AlarmLatency, float64(env.AlarmLatencyP99Ms), "GreaterThanThreshold", 3, 3)
		check(monitoring.AlarmLatency, "metric", alarmMetric(p), []any{sconfig.DefaultMetricsNamespace, sconfig.MetricLatency, "p99", 300, jsonAny(envDim)})

		// Unhealthy targets of the signer's target group.
		p = common(monitoring.AlarmUnhealthyHosts, float64(env.AlarmUnhealthyHosts), "GreaterThanOrEqualToThreshold", 3, 3)
		check(monitoring.AlarmUnhealthyHosts, "metric", alarmMetric(p)[:4], []any{"AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", 60})
		if d := js(alarmMetric(p)[4]); !strings.Contains(d, `"Name":"TargetGroup"`) || !strings.Contains(d, `"Name":"LoadBalancer"`) {
			t.Errorf("%s: unhealthy-hosts dimensions %s", env.Name, d)
		}

		// Refusal spike: the signer's Refused count per 5 minutes.
		p = common(monitoring.AlarmRefusals, float64(env.AlarmRefusalsPer5Min), "GreaterThanThreshold", 1, 1)
		check(monitoring.AlarmRefusals, "metric", alarmMetric(p), []any{sconfig.DefaultMetricsNamespace, sconfig.MetricRefused, "Sum", 300, jsonAny(envDim)})

		// Failed API-key reloads (apikey only): a revoked key may still work.
		if _, ok := alarms[monitoring.AlarmKeyReloads]; ok != (env.AuthMode == config.AuthAPIKey) {
			t.Errorf("%s (auth %s): key-reload alarm present = %v", env.Name, env.AuthMode, ok)
		}
		if env.AuthMode == config.AuthAPIKey {
			p = common(monitoring.AlarmKeyReloads, 0, "GreaterThanThreshold", 1, 1)
			check(monitoring.AlarmKeyReloads, "metric", alarmMetric(p)[:4], []any{sconfig.DefaultMetricsNamespace, sconfig.MetricAPIKeyReloads, "Sum", 300})
			if d := js(alarmMetric(p)[4]); !strings.Contains(d, `{"Name":"Result","Value":"failed"}`) || !strings.Contains(d, `"Value":"`+env.Name+`"`) {
				t.Errorf("%s: key-reload alarm dimensions %s, want Environment and Result=failed", env.Name, d)
			}
		}

		// Malware findings: GuardDuty's InfectedScanCount for this plan and bucket.
		if env.MalwareScanning {
			p = common(monitoring.AlarmMalware, 0, "GreaterThanThreshold", 1, 1)
			check(monitoring.AlarmMalware, "metric", alarmMetric(p)[:4], []any{monitoring.GuardDutyNamespace, monitoring.MetricInfectedScans, "Sum", 300})
			d := js(alarmMetric(p)[4])
			if !strings.Contains(d, `"Name":"`+monitoring.DimPlanID+`"`) || !strings.Contains(d, `MalwareProtectionPlanId`) ||
				!strings.Contains(d, `"Name":"`+monitoring.DimResourceName+`"`) {
				t.Errorf("%s: malware alarm dimensions %s, want the plan id and the bucket name", env.Name, d)
			}
		}
	}
}

// alarmMetric returns a single-metric alarm's namespace, metric name,
// statistic, period and dimensions (the CDK writes labelled metrics in the
// Metrics list form).
func alarmMetric(p map[string]any) []any {
	ms, _ := p["Metrics"].([]any)
	if len(ms) != 1 {
		return []any{nil, nil, nil, nil, nil}
	}
	stat := dig(ms[0], "MetricStat")
	return []any{dig(stat, "Metric", "Namespace"), dig(stat, "Metric", "MetricName"), dig(stat, "Stat"), dig(stat, "Period"), dig(stat, "Metric", "Dimensions")}
}

// jsonAny decodes a JSON literal for comparisons with js.
func jsonAny(s string) any { return rawJSON(s) }

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestAlarmsNotifyTheTopicOnlyWhenEmailsAreConfigured(t *testing.T) {
	for _, s := range []*synthesized{synthEnv(t, "prod"), opsVariant(t)} {
		// The topic lives in the stateful stack: replacing it would drop the
		// subscriptions people confirmed.
		topicID, topic := only(t, s.storage, "AWS::SNS::Topic")
		keyID, key := topicKey(t, s)
		if js(props(topic)["KmsMasterKeyId"]) != `{"Fn::GetAtt":["`+keyID+`","Arn"]}` {
			t.Errorf("%s: topic key %s, want its own key %s", s.env.Name, js(props(topic)["KmsMasterKeyId"]), keyID)
		}
		if props(key)["EnableKeyRotation"] != true {
			t.Errorf("%s: topic key rotation off", s.env.Name)
		}
		if !strings.Contains(js(props(key)["KeyPolicy"]), `"Service":"cloudwatch.amazonaws.com"`) {
			t.Errorf("%s: CloudWatch may not use the topic key: %s", s.env.Name, js(props(key)["KeyPolicy"]))
		}
		_, tp := only(t, s.storage, "AWS::SNS::TopicPolicy")
		pol := js(props(tp)["PolicyDocument"])
		for _, part := range []string{`"aws:SecureTransport":"false"`, `"Effect":"Deny"`, `"Service":"cloudwatch.amazonaws.com"`, `"Action":"sns:Publish"`} {
			if !strings.Contains(pol, part) {
				t.Errorf("%s: topic policy lacks %s: %s", s.env.Name, part, pol)
			}
		}
		var mails []string
		for _, sub := range resources(s.storage, "AWS::SNS::Subscription") {
			p := props(sub)
			if p["Protocol"] == "email" && js(p["TopicArn"]) == `{"Ref":"`+topicID+`"}` {
				mails = append(mails, p["Endpoint"].(string))
			}
		}
		want := slices.Clone(s.env.AlarmEmails)
		slices.Sort(mails)
		slices.Sort(want)
		if !slices.Equal(mails, want) {
			t.Errorf("%s: email subscriptions %v, want %v", s.env.Name, mails, want)
		}
		for id, p := range alarmsByID(t, s) {
			re := regexp.MustCompile(`^\[\{"Fn::GetStackOutput":\{"OutputName":"PublishOutputRef` + topicID +
				`[0-9A-F]{8}","Region":[^}]*\}?,"StackName":"s3presign-[a-z]+-storage"\}\}\]$`)
			if !re.MatchString(js(p["AlarmActions"])) || !re.MatchString(js(p["OKActions"])) {
				t.Errorf("%s: alarm %s actions %s / %s, want the topic", s.env.Name, id, js(p["AlarmActions"]), js(p["OKActions"]))
			}
		}
	}
	// Control: no emails, no topic and no actions (alarms still exist).
	dev := synthEnv(t, "dev")
	if n := len(resources(dev.storage, "AWS::SNS::Topic")) + len(resources(dev.service, "AWS::SNS::Topic")); n != 0 {
		t.Errorf("dev (no alarmEmails): %d topics", n)
	}
	for id, p := range alarmsByID(t, dev) {
		if p["AlarmActions"] != nil || p["OKActions"] != nil {
			t.Errorf("dev: alarm %s has actions without a topic", id)
		}
	}
}

func TestDashboardShowsEveryPanel(t *testing.T) {
	for _, s := range []*synthesized{synthEnv(t, "dev"), synthEnv(t, "prod")} {
		_, d := only(t, s.service, "AWS::CloudWatch::Dashboard")
		body := js(props(d)["DashboardBody"])
		titles := []string{monitoring.TitleRequests, monitoring.TitleRefusals, monitoring.TitleLatency, monitoring.TitleServerErrors,
			monitoring.TitleTasks, monitoring.TitleUploads, monitoring.TitleAlarms, monitoring.TitleRoutes}
		if s.env.MalwareScanning {
			titles = append(titles, monitoring.TitleMalware)
		}
		last := -1
		for _, title := range titles {
			i := strings.Index(body, `\"title\":\"`+title+`\"`)
			if i < 0 {
				t.Errorf("%s: dashboard has no %q widget", s.env.Name, title)
				continue
			}
			if i < last {
				t.Errorf("%s: widget %q out of order", s.env.Name, title)
			}
			last = i
		}
		if !s.env.MalwareScanning && strings.Contains(body, monitoring.TitleMalware) {
			t.Errorf("%s: malware widget without scanning", s.env.Name)
		}
		for _, part := range []string{
			// EMF metrics, environment rollup, by the signer's own names.
			`[\"` + sconfig.DefaultMetricsNamespace + `\",\"` + sconfig.MetricRequests + `\",\"` + sconfig.DimEnvironment + `\",\"` + s.env.Name + `\"`,
			`[\"` + sconfig.DefaultMetricsNamespace + `\",\"` + sconfig.MetricLatency + `\",\"` + sconfig.DimEnvironment + `\",\"` + s.env.Name + `\",{\"label\":\"p99\",\"stat\":\"p99\"}]`,
			// Refusals by code and URLs by operation, one line per value.
			`SEARCH('{` + sconfig.DefaultMetricsNamespace + `,` + sconfig.DimEnvironment + `,` + sconfig.DimCode + `} MetricName=\\\"` + sconfig.MetricRefused + `\\\" ` + sconfig.DimEnvironment + `=\\\"` + s.env.Name + `\\\"', 'Sum', 60)`,
			`MetricName=\\\"` + sconfig.MetricURLsIssued + `\\\"`,
			`\"HTTPCode_ELB_5XX_Count\"`, `\"HTTPCode_Target_5XX_Count\"`, `\"HealthyHostCount\"`, `\"UnHealthyHostCount\"`,
			// Uploads: the rule's EventBridge invocations.
			`[\"AWS/Events\",\"Invocations\",\"RuleName\",\"`,
			`\"type\":\"alarm\"`,
		} {
			if !strings.Contains(body, part) {
				t.Errorf("%s: dashboard lacks %s", s.env.Name, part)
			}
		}
	}
}

func TestUploadsAreCountedFromObjectCreatedEvents(t *testing.T) {
	s := synthEnv(t, "prod")
	ruleID, rule := only(t, s.service, "AWS::Events::Rule")
	p := props(rule)
	pattern := js(p["EventPattern"])
	for _, part := range []string{`"source":["aws.s3"]`, `"detail-type":["Object Created"]`, `"object":{"key":[{"prefix":"` + s.env.UploadPrefix + `"}]}`, `"bucket":{"name":[`} {
		if !strings.Contains(pattern, part) {
			t.Errorf("event pattern lacks %s: %s", part, pattern)
		}
	}
	targets := p["Targets"].([]any)
	if len(targets) != 1 || !strings.Contains(js(targets[0]), `:log-group:`) {
		t.Errorf("rule targets %s, want one log group", js(targets))
	}
	_, rp := only(t, s.service, "AWS::Logs::ResourcePolicy")
	doc := js(props(rp)["PolicyDocument"])
	for _, part := range []string{`events.amazonaws.com`, `logs:PutLogEvents`, `aws:SourceArn`, ruleID} {
		if !strings.Contains(doc, part) {
			t.Errorf("log resource policy lacks %s: %s", part, doc)
		}
	}
}

// topicKey returns the alarm topic's KMS key in the storage stack.
func topicKey(t *testing.T, s *synthesized) (string, map[string]any) {
	t.Helper()
	for id, r := range resources(s.storage, "AWS::KMS::Key") {
		if strings.HasPrefix(id, alarmTopicKeyLogicalIDPrefix) {
			return id, r
		}
	}
	t.Fatalf("%s: no alarm topic key", s.env.Name)
	return "", nil
}

// alarmTopicKeyLogicalIDPrefix starts the alarm topic key's logical id.
const alarmTopicKeyLogicalIDPrefix = "AlarmsKey"

// alarmTopicKeyLogicalID is the pinned logical id of the alarm topic's key.
const alarmTopicKeyLogicalID = "AlarmsKey3C2381B3"
