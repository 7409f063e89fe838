package config

import (
	"net/url"
	"regexp"
)

// Notify are the settings of the upload notifications: the queue every
// "upload ready" event reaches, and the optional HTTPS endpoint of the
// team's application that EventBridge also calls.
type Notify struct {
	// Endpoint is the team's HTTPS endpoint (notifyEndpoint). "" (default):
	// no API destination; the queue alone carries the events.
	Endpoint string
	// SecretArn is the Secrets Manager secret whose value EventBridge sends
	// in the HeaderName header (notifySecretArn); required with Endpoint.
	SecretArn string
	// HeaderName is the header that carries the secret (notifyHeaderName,
	// default "Authorization").
	HeaderName string
	// RetentionDays is how long the queue and its dead-letter queue keep a
	// message (notifyRetentionDays, 1 to 14, default 14): how long the
	// consumer may be down without losing an event.
	RetentionDays int
	// AlarmAgeMinutes is the threshold of the alarm on the oldest message's
	// age (alarmNotifyAgeMinutes, default 60): the consumer is behind or down.
	AlarmAgeMinutes int
}

// Bounds of the notification settings.
const (
	// MaxNotifyRetentionDays is SQS's longest retention.
	MaxNotifyRetentionDays = 14
	// MaxNotifyAgeMinutes bounds alarmNotifyAgeMinutes (a day short of the
	// longest retention, so the alarm fires before messages expire).
	MaxNotifyAgeMinutes = 13 * 24 * 60
)

// DefaultNotify returns the notification defaults: queue only, 14 days.
func DefaultNotify() Notify {
	return Notify{HeaderName: "Authorization", RetentionDays: MaxNotifyRetentionDays, AlarmAgeMinutes: 60}
}

// HasEndpoint reports whether events also go to the team's HTTPS endpoint.
func (n Notify) HasEndpoint() bool { return n.Endpoint != "" }

var (
	secretArnRE  = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$`)
	headerNameRE = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
)

// validateNotify checks the notification settings.
func validateNotify(p *problems, e Environment) {
	n := e.Notify
	if n.Endpoint != "" {
		u, err := url.Parse(n.Endpoint)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
			p.bad("notifyEndpoint", "must be an https URL such as https://app.example.com/hooks/uploads (no user info), got %q", n.Endpoint)
		}
		if n.SecretArn == "" {
			p.bad("notifySecretArn", "is required with notifyEndpoint: the ARN of the Secrets Manager secret whose value authenticates EventBridge to the endpoint")
		}
	}
	if n.SecretArn != "" {
		if !secretArnRE.MatchString(n.SecretArn) {
			p.bad("notifySecretArn", "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx), got %q", n.SecretArn)
		}
		if n.Endpoint == "" {
			p.bad("notifySecretArn", "is only used with notifyEndpoint: set both, or neither")
		}
	}
	if !headerNameRE.MatchString(n.HeaderName) {
		p.bad("notifyHeaderName", "must be an HTTP header name such as Authorization, got %q", n.HeaderName)
	}
	if d := n.RetentionDays; d < 1 || d > MaxNotifyRetentionDays {
		p.bad("notifyRetentionDays", "must be between 1 and %d days (SQS's limit), got %d", MaxNotifyRetentionDays, d)
	}
	if m := n.AlarmAgeMinutes; m < 1 || m > MaxNotifyAgeMinutes || m >= n.RetentionDays*24*60 {
		p.bad("alarmNotifyAgeMinutes", "must be between 1 and %d minutes and shorter than notifyRetentionDays, so it fires before messages expire; got %d", MaxNotifyAgeMinutes, m)
	}
}
