// Package notifications is the upload-notification construct: it tells the
// team's application that an upload is complete (and, with malware
// scanning, clean) from S3's and GuardDuty's own events, never from the
// browser.
//
// An EventBridge rule matches S3's "Object Created" events for the upload
// bucket and prefix; with malwareScanning a second rule matches GuardDuty's
// scan results for the same bucket and prefix. Both deliver the raw events
// to an encrypted SQS queue that keeps them for notifyRetentionDays while
// the consumer is down, with a dead-letter queue for events EventBridge
// could not deliver and messages the consumer failed on five times, and
// alarms on the dead letters and on the oldest message's age. With
// notifyEndpoint the same rules also call the team's HTTPS endpoint through
// an API destination whose connection sends the secret from notifySecretArn.
//
// The queue carries EventBridge's events unchanged and the consumer builds
// the "upload ready" shape with signer/uploadevent's parser (see
// infra/README.md for why not an input transformer). A consumer attaches
// ConsumerPolicy, reads QueueURL and parses each message body.
package notifications

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/internal/removal"
	"github.com/s3presign/s3presign/signer/uploadevent"
)

// Construct ids, also the keys of Notifications.Alarms.
const (
	// AlarmDeadLetters: a message reached the dead-letter queue.
	AlarmDeadLetters = "DeadLettersWaiting"
	// AlarmOldestMessage: the oldest message waits longer than
	// alarmNotifyAgeMinutes (the consumer is down or behind).
	AlarmOldestMessage = "OldestMessageAge"
)

// Delivery settings.
const (
	// MaxReceiveCount is how often the consumer may receive a message
	// without deleting it before SQS moves it to the dead-letter queue.
	MaxReceiveCount = 5
	// TargetRetryAttempts and targetMaxEventAge bound EventBridge's retries
	// of one delivery (queue or endpoint) before it goes to the dead-letter
	// queue: EventBridge's own maxima, so an endpoint that is down for up to
	// a day still gets the event.
	TargetRetryAttempts = 185
	// VisibilityTimeoutSeconds is how long a received message stays hidden
	// from other consumers: time to record the upload and delete it.
	VisibilityTimeoutSeconds = 60
	// EndpointRatePerSecond caps the calls to the team's endpoint.
	EndpointRatePerSecond = 50
)

var targetMaxEventAge = awscdk.Duration_Hours(jsii.Number(24))

// NotificationsProps configures NewNotifications.
type NotificationsProps struct {
	// Env is the validated environment: bucket prefix, malwareScanning,
	// Notify settings, removal policy.
	Env *config.Environment
	// Bucket is the upload bucket (EventBridge notifications on).
	Bucket awss3.IBucket
	// Topic receives the alarms and their OK, or nil (no alarmEmails).
	Topic awssns.ITopic
}

// Notifications is the rules, queues, alarms, optional API destination and
// the consumer's policy.
type Notifications struct {
	constructs.Construct
	// Queue receives every upload event (encrypted, TLS only).
	Queue awssqs.Queue
	// DeadLetters keeps what could not be delivered or consumed.
	DeadLetters awssqs.Queue
	// Created matches S3's Object Created events under the prefix.
	Created awsevents.Rule
	// Scanned matches GuardDuty's scan results under the prefix; nil
	// without malwareScanning.
	Scanned awsevents.Rule
	// Destination calls the team's endpoint; nil without notifyEndpoint.
	Destination awsevents.ApiDestination
	// ConsumerPolicy lets a consumer receive, delete and read the
	// attributes of Queue's messages, and nothing else.
	ConsumerPolicy awsiam.ManagedPolicy
	// Alarms by construct id (AlarmDeadLetters, AlarmOldestMessage).
	Alarms map[string]awscloudwatch.Alarm
}

// NewNotifications builds the notification path of one environment.
func NewNotifications(scope constructs.Construct, id string, props *NotificationsProps) *Notifications {
	env := props.Env
	this := constructs.NewConstruct(scope, jsii.String(id))
	n := &Notifications{Construct: this, Alarms: map[string]awscloudwatch.Alarm{}}
	n.queues(env)
	targets := n.targets(env)
	n.Created = awsevents.NewRule(this, jsii.String("UploadCreated"), &awsevents.RuleProps{
		Description:  jsii.String(fmt.Sprintf("s3presign %s: objects created under %s, for the application's upload notifications", env.Name, env.UploadPrefix)),
		EventPattern: CreatedPattern(*props.Bucket.BucketName(), env.UploadPrefix),
		Targets:      &targets,
	})
	if env.MalwareScanning {
		n.Scanned = awsevents.NewRule(this, jsii.String("UploadScanned"), &awsevents.RuleProps{
			Description:  jsii.String(fmt.Sprintf("s3presign %s: malware scan results under %s, for the application's upload notifications", env.Name, env.UploadPrefix)),
			EventPattern: ScannedPattern(*props.Bucket.BucketName(), env.UploadPrefix),
			Targets:      &targets,
		})
	}
	n.ConsumerPolicy = consumerPolicy(this, env, n.Queue)
	n.alarms(env, props.Topic)
	return n
}

// CreatedPattern matches S3's Object Created events (PUT, POST,
// CompleteMultipartUpload, copy) for keys under prefix in bucket.
func CreatedPattern(bucket, prefix string) *awsevents.EventPattern {
	return &awsevents.EventPattern{
		Source:     jsii.Strings(uploadevent.SourceS3),
		DetailType: jsii.Strings(uploadevent.DetailObjectCreated),
		Detail: &map[string]any{
			"bucket": map[string]any{"name": []string{bucket}},
			"object": map[string]any{"key": []any{map[string]any{"prefix": prefix}}},
		},
	}
}

// ScannedPattern matches GuardDuty Malware Protection's scan results for
// keys under prefix in bucket.
func ScannedPattern(bucket, prefix string) *awsevents.EventPattern {
	return &awsevents.EventPattern{
		Source:     jsii.Strings(uploadevent.SourceGuardDuty),
		DetailType: jsii.Strings(uploadevent.DetailScanResult),
		Detail: &map[string]any{
			"s3ObjectDetails": map[string]any{
				"bucketName": []string{bucket},
				"objectKey":  []any{map[string]any{"prefix": prefix}},
			},
		},
	}
}

// queues makes the queue and its dead-letter queue: SSE-SQS (EventBridge
// can send to it with no key policy, and no consumer needs kms:Decrypt),
// TLS only, kept as long as the environment keeps stateful resources.
func (n *Notifications) queues(env *config.Environment) {
	removalPolicy := removal.For(env)
	n.DeadLetters = awssqs.NewQueue(n.Construct, jsii.String("DeadLetters"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(config.MaxNotifyRetentionDays)),
		RemovalPolicy:   removalPolicy,
	})
	n.Queue = awssqs.NewQueue(n.Construct, jsii.String("Queue"), &awssqs.QueueProps{
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(env.Notify.RetentionDays)),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(VisibilityTimeoutSeconds)),
		// Long polling: fewer empty receives, lower cost.
		ReceiveMessageWaitTime: awscdk.Duration_Seconds(jsii.Number(20)),
		DeadLetterQueue:        &awssqs.DeadLetterQueue{Queue: n.DeadLetters, MaxReceiveCount: jsii.Number(MaxReceiveCount)},
		RemovalPolicy:          removalPolicy,
	})
}

// targets are the rules' targets: the queue, and with notifyEndpoint the
// API destination, each retried by EventBridge and then dead-lettered.
func (n *Notifications) targets(env *config.Environment) []awsevents.IRuleTarget {
	targets := []awsevents.IRuleTarget{awseventstargets.NewSqsQueue(n.Queue, &awseventstargets.SqsQueueProps{
		DeadLetterQueue: n.DeadLetters,
		RetryAttempts:   jsii.Number(TargetRetryAttempts),
		MaxEventAge:     targetMaxEventAge,
	})}
	if !env.Notify.HasEndpoint() {
		return targets
	}
	conn := awsevents.NewConnection(n.Construct, jsii.String("EndpointConnection"), &awsevents.ConnectionProps{
		Description: jsii.String("s3presign " + env.Name + ": the application's upload-notification endpoint"),
		// EventBridge copies the secret's value into the connection's own
		// secret at deploy time: rotate by updating the secret and deploying.
		Authorization: awsevents.Authorization_ApiKey(jsii.String(env.Notify.HeaderName),
			awscdk.SecretValue_SecretsManager(jsii.String(env.Notify.SecretArn), nil)),
	})
	n.Destination = awsevents.NewApiDestination(n.Construct, jsii.String("Endpoint"), &awsevents.ApiDestinationProps{
		Description:        jsii.String("s3presign " + env.Name + ": POSTs each upload event to " + env.Notify.Endpoint),
		Connection:         conn,
		Endpoint:           jsii.String(env.Notify.Endpoint),
		HttpMethod:         awsevents.HttpMethod_POST,
		RateLimitPerSecond: jsii.Number(EndpointRatePerSecond),
	})
	return append(targets, awseventstargets.NewApiDestination(n.Destination, &awseventstargets.ApiDestinationProps{
		DeadLetterQueue: n.DeadLetters,
		RetryAttempts:   jsii.Number(TargetRetryAttempts),
		MaxEventAge:     targetMaxEventAge,
	}))
}

// ConsumerActions are the only actions ConsumerPolicy grants, on the queue
// only: read messages, delete them once recorded, and read the queue's
// attributes (its depth, for the consumer's own health).
var ConsumerActions = []string{"sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}

// consumerPolicy is the managed policy a team attaches to its consumer's
// role. SSE-SQS needs no KMS permission.
func consumerPolicy(scope constructs.Construct, env *config.Environment, queue awssqs.IQueue) awsiam.ManagedPolicy {
	return awsiam.NewManagedPolicy(scope, jsii.String("ConsumerPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("s3presign " + env.Name + ": read and delete the upload notifications queue's messages"),
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ConsumeUploadNotifications"),
			Actions:   jsii.Strings(ConsumerActions...),
			Resources: jsii.Strings(*queue.QueueArn()),
		})},
	})
}

// alarms: any dead letter (an event lost to the consumer until someone
// redrives it), and the oldest message older than alarmNotifyAgeMinutes.
func (n *Notifications) alarms(env *config.Environment, topic awssns.ITopic) {
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	add := func(id, description string, metric awscloudwatch.IMetric, threshold float64) {
		a := awscloudwatch.NewAlarm(n.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(fmt.Sprintf("s3presign %s: %s", env.Name, description)),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			DatapointsToAlarm:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		if topic != nil {
			action := awscloudwatchactions.NewSnsAction(topic)
			a.AddAlarmAction(action)
			a.AddOkAction(action)
		}
		n.Alarms[id] = a
	}
	add(AlarmDeadLetters, "an upload notification could not be delivered or consumed: it waits in the dead-letter queue",
		n.DeadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")}), 0)
	add(AlarmOldestMessage, fmt.Sprintf("the oldest upload notification has waited more than %d minutes: the consumer is down or behind", env.Notify.AlarmAgeMinutes),
		n.Queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")}), float64(env.Notify.AlarmAgeMinutes*60))
}
