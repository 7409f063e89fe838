package stacks_test

import (
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/notifications"
	"github.com/s3presign/s3presign/infra/stacks"
)

// Pinned logical ids of the notification queues: replacing a queue drops
// the events it holds.
const (
	notifyQueueLogicalID       = "NotificationsQueue91395D8F"
	notifyDeadLettersLogicalID = "NotificationsDeadLetters2AC1E002"
)

func queueARN(id string) string { return `{"Fn::GetAtt":["` + id + `","Arn"]}` }

// endpointVariant is dev with the team's HTTPS endpoint configured.
func endpointVariant(t *testing.T) *synthesized {
	t.Helper()
	return synthCached(t, "endpoint", func(e *config.Environment) {
		e.Name = "hooked"
		e.Notify.Endpoint = "https://app.example.com/hooks/uploads"
		e.Notify.SecretArn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:s3presign/hook-AbCdEf"
		e.Notify.HeaderName = "X-Hook-Token"
	})
}

// rulesTargeting returns the rules with a target on the notification queue.
func rulesTargeting(tmpl map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range resources(tmpl, "AWS::Events::Rule") {
		if strings.Contains(js(props(r)["Targets"]), queueARN(notifyQueueLogicalID)) {
			out[id] = r
		}
	}
	return out
}

func TestNotificationRulesMatchTheBucketAndPrefix(t *testing.T) {
	for _, s := range []*synthesized{synthEnv(t, "dev"), synthEnv(t, "staging"), synthEnv(t, "prod"), variant(t)} {
		name, prefix := s.env.Name, s.env.UploadPrefix
		var created, scanned int
		for id, r := range rulesTargeting(s.storage) {
			pattern := js(props(r)["EventPattern"])
			switch {
			case strings.Contains(pattern, `"source":["aws.s3"]`):
				created++
				want := `{"detail":{"bucket":{"name":[{"Ref":"` + bucketLogicalID + `"}]},"object":{"key":[{"prefix":"` + prefix + `"}]}},"detail-type":["Object Created"],"source":["aws.s3"]}`
				if pattern != want {
					t.Errorf("%s: %s pattern %s, want %s", name, id, pattern, want)
				}
			case strings.Contains(pattern, `"source":["aws.guardduty"]`):
				scanned++
				want := `{"detail":{"s3ObjectDetails":{"bucketName":[{"Ref":"` + bucketLogicalID + `"}],"objectKey":[{"prefix":"` + prefix + `"}]}},"detail-type":["GuardDuty Malware Protection Object Scan Result"],"source":["aws.guardduty"]}`
				if pattern != want {
					t.Errorf("%s: %s pattern %s, want %s", name, id, pattern, want)
				}
			default:
				t.Errorf("%s: rule %s targets the queue with pattern %s", name, id, pattern)
			}
			// Every target: retried, then dead-lettered.
			for _, tg := range props(r)["Targets"].([]any) {
				if got := js(dig(tg, "DeadLetterConfig", "Arn")); got != queueARN(notifyDeadLettersLogicalID) {
					t.Errorf("%s: %s target without the dead-letter queue: %s", name, id, js(tg))
				}
				if got := js(dig(tg, "RetryPolicy")); got != `{"MaximumEventAgeInSeconds":86400,"MaximumRetryAttempts":185}` {
					t.Errorf("%s: %s retry policy %s", name, id, got)
				}
			}
		}
		wantScanned := 0
		if s.env.MalwareScanning {
			wantScanned = 1
		}
		if created != 1 || scanned != wantScanned {
			t.Errorf("%s: %d Object Created and %d scan-result rules, want 1 and %d", name, created, scanned, wantScanned)
		}
	}
}

func TestNotificationQueueIsEncryptedWithDeadLettersAndRetention(t *testing.T) {
	for _, s := range []*synthesized{synthEnv(t, "dev"), synthEnv(t, "prod")} {
		name := s.env.Name
		res := s.storage["Resources"].(map[string]any)
		q, ok := res[notifyQueueLogicalID].(map[string]any)
		if !ok {
			t.Fatalf("%s: queue %s missing", name, notifyQueueLogicalID)
		}
		p := props(q)
		if p["SqsManagedSseEnabled"] != true {
			t.Errorf("%s: queue not encrypted: %s", name, js(p))
		}
		if got, want := p["MessageRetentionPeriod"], float64(s.env.Notify.RetentionDays*86400); got != want {
			t.Errorf("%s: retention %v, want %v", name, got, want)
		}
		if got := js(p["RedrivePolicy"]); got != `{"deadLetterTargetArn":`+queueARN(notifyDeadLettersLogicalID)+`,"maxReceiveCount":5}` {
			t.Errorf("%s: redrive %s", name, got)
		}
		if dlq := props(res[notifyDeadLettersLogicalID].(map[string]any)); dlq["SqsManagedSseEnabled"] != true || dlq["MessageRetentionPeriod"] != float64(14*86400) {
			t.Errorf("%s: dead-letter queue %s", name, js(dlq))
		}
		// Both queues refuse plain HTTP; EventBridge may send only from these rules.
		for id, pol := range resources(s.storage, "AWS::SQS::QueuePolicy") {
			doc := js(props(pol)["PolicyDocument"])
			if !strings.Contains(doc, `{"Action":"sqs:*","Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny"`) {
				t.Errorf("%s: %s has no TLS Deny: %s", name, id, doc)
			}
			if strings.Contains(doc, `"events.amazonaws.com"`) && strings.Count(doc, `"aws:SourceArn"`) != strings.Count(doc, `"events.amazonaws.com"`) {
				t.Errorf("%s: %s lets EventBridge send without naming the rule: %s", name, id, doc)
			}
		}
	}
}

func TestNotificationAlarmsGoToTheTopic(t *testing.T) {
	for _, s := range []*synthesized{synthEnv(t, "dev"), synthEnv(t, "prod")} {
		name := s.env.Name
		found := map[string]map[string]any{}
		for id, r := range resources(s.storage, "AWS::CloudWatch::Alarm") {
			for _, a := range []string{notifications.AlarmDeadLetters, notifications.AlarmOldestMessage} {
				if strings.HasPrefix(id, "Notifications"+a) {
					found[a] = props(r)
				}
			}
		}
		dl, age := found[notifications.AlarmDeadLetters], found[notifications.AlarmOldestMessage]
		if dl == nil || age == nil {
			t.Fatalf("%s: alarms %v, want both", name, found)
		}
		if dl["MetricName"] != "ApproximateNumberOfMessagesVisible" || dl["Threshold"] != float64(0) || !strings.Contains(js(dl["Dimensions"]), notifyDeadLettersLogicalID) {
			t.Errorf("%s: dead-letter alarm %s", name, js(dl))
		}
		if age["MetricName"] != "ApproximateAgeOfOldestMessage" || age["Threshold"] != float64(s.env.Notify.AlarmAgeMinutes*60) || !strings.Contains(js(age["Dimensions"]), notifyQueueLogicalID) {
			t.Errorf("%s: age alarm %s", name, js(age))
		}
		for _, a := range []map[string]any{dl, age} {
			hasAction := a["AlarmActions"] != nil && a["OKActions"] != nil
			if hasAction != (len(s.env.AlarmEmails) > 0) {
				t.Errorf("%s: alarm actions %s / %s with alarmEmails %v", name, js(a["AlarmActions"]), js(a["OKActions"]), s.env.AlarmEmails)
			}
		}
	}
}

func TestConsumerPolicyIsLimitedToTheQueue(t *testing.T) {
	for _, s := range []*synthesized{synthEnv(t, "dev"), synthEnv(t, "staging"), synthEnv(t, "prod"), variant(t), endpointVariant(t)} {
		name := s.env.Name
		id, pol := only(t, s.storage, "AWS::IAM::ManagedPolicy")
		want := `{"Statement":[{"Action":["sqs:DeleteMessage","sqs:GetQueueAttributes","sqs:ReceiveMessage"],"Effect":"Allow","Resource":` +
			queueARN(notifyQueueLogicalID) + `,"Sid":"ConsumeUploadNotifications"}],"Version":"2012-10-17"}`
		if got := js(props(pol)["PolicyDocument"]); got != want {
			t.Errorf("%s: consumer policy %s\n got %s\nwant %s", name, id, got, want)
		}
		if _, named := props(pol)["ManagedPolicyName"]; named {
			t.Errorf("%s: consumer policy has a hard-coded name", name)
		}
		if n := len(resources(s.service, "AWS::IAM::ManagedPolicy")); n != 0 {
			t.Errorf("%s: %d managed policies in the service stack", name, n)
		}
		outs := s.storage["Outputs"].(map[string]any)
		for out, value := range map[string]string{
			stacks.OutputNotificationQueueURL: `{"Ref":"` + notifyQueueLogicalID + `"}`,
			stacks.OutputNotificationQueueARN: queueARN(notifyQueueLogicalID),
			stacks.OutputConsumerPolicyARN:    `{"Ref":"` + id + `"}`,
		} {
			if got := js(dig(outs[out], "Value")); got != value {
				t.Errorf("%s: output %s = %s, want %s", name, out, got, value)
			}
		}
	}
}

func TestAPIDestinationOnlyWhenConfigured(t *testing.T) {
	for _, s := range []*synthesized{synthEnv(t, "dev"), synthEnv(t, "staging"), synthEnv(t, "prod")} {
		for _, typ := range []string{"AWS::Events::ApiDestination", "AWS::Events::Connection"} {
			if n := len(resources(s.storage, typ)); n != 0 {
				t.Errorf("%s: %d %s without notifyEndpoint", s.env.Name, n, typ)
			}
		}
	}
	s := endpointVariant(t)
	destID, dest := only(t, s.storage, "AWS::Events::ApiDestination")
	_, conn := only(t, s.storage, "AWS::Events::Connection")
	if p := props(dest); p["InvocationEndpoint"] != s.env.Notify.Endpoint || p["HttpMethod"] != "POST" || p["InvocationRateLimitPerSecond"] != float64(notifications.EndpointRatePerSecond) {
		t.Errorf("API destination %s", js(p))
	}
	auth := js(props(conn))
	if !strings.Contains(auth, `"AuthorizationType":"API_KEY"`) || !strings.Contains(auth, `"ApiKeyName":"X-Hook-Token"`) ||
		!strings.Contains(auth, `{{resolve:secretsmanager:`+s.env.Notify.SecretArn+`:SecretString:::}}`) {
		t.Errorf("connection %s, want the API key header from the secret", auth)
	}
	var targeted int
	for id, r := range rulesTargeting(s.storage) {
		for _, tg := range props(r)["Targets"].([]any) {
			if !strings.Contains(js(dig(tg, "Arn")), destID) {
				continue
			}
			targeted++
			if js(dig(tg, "DeadLetterConfig", "Arn")) != queueARN(notifyDeadLettersLogicalID) || js(dig(tg, "RetryPolicy", "MaximumRetryAttempts")) != "185" || dig(tg, "RoleArn") == nil {
				t.Errorf("%s: endpoint target %s", id, js(tg))
			}
		}
	}
	if targeted != 1 { // dev scans nothing: only the Object Created rule
		t.Errorf("%d rules call the endpoint, want 1", targeted)
	}
}

func TestNotificationQueuesArePinned(t *testing.T) {
	for _, s := range []*synthesized{synthEnv(t, "dev"), synthEnv(t, "prod"), variant(t)} {
		queues := resources(s.storage, "AWS::SQS::Queue")
		if len(queues) != 2 || queues[notifyQueueLogicalID] == nil || queues[notifyDeadLettersLogicalID] == nil {
			t.Errorf("%s: queues %v, want exactly the pinned %s and %s", s.env.Name, keys(queues), notifyQueueLogicalID, notifyDeadLettersLogicalID)
		}
		if n := len(resources(s.service, "AWS::SQS::Queue")); n != 0 {
			t.Errorf("%s: %d queues in the service stack", s.env.Name, n)
		}
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
