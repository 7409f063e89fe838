// Package monitoring is the operations construct of one environment: a
// CloudWatch dashboard, the alarms (with defaults per environment from
// cdk.json) and the "uploads created" count from the bucket's EventBridge
// events; and, for the stateful stack, the optional encrypted SNS topic that
// mails the alarms (NewAlarmTopic).
//
// The signer's own metrics come from the EMF lines it writes on stdout
// (namespace, metric and dimension names from signer/config); the rest are
// the load balancer's, the target group's, EventBridge's and GuardDuty's.
package monitoring

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/service"
)

// Alarm construct ids, also the keys of Monitoring.Alarms.
const (
	// AlarmServerErrors: load balancer + target 5xx as a percentage of requests.
	AlarmServerErrors = "ServerErrorRate"
	// AlarmLatency: the signer's p99 latency (EMF).
	AlarmLatency = "LatencyP99"
	// AlarmUnhealthyHosts: targets failing the load balancer's health check.
	AlarmUnhealthyHosts = "UnhealthyHosts"
	// AlarmRefusals: a rise in refused requests (someone probing).
	AlarmRefusals = "RefusalSpike"
	// AlarmMalware: GuardDuty found a threat in an upload (malwareScanning).
	AlarmMalware = "MalwareFound"
	// AlarmKeyReloads: a task could not reload the API-key secret, so a
	// revoked key may still work there (authMode apikey).
	AlarmKeyReloads = "APIKeyReloadFailed"
)

// GuardDuty Malware Protection for S3's CloudWatch metrics.
const (
	// GuardDutyNamespace holds the scan metrics.
	GuardDutyNamespace = "AWS/GuardDuty/MalwareProtection"
	// MetricInfectedScans counts scans that found a threat.
	MetricInfectedScans = "InfectedScanCount"
	// MetricTotalScans counts scans.
	MetricTotalScans = "TotalScanCount"
	// DimPlanID and DimResourceName are the metrics' dimensions: the plan id
	// and the protected bucket's name.
	DimPlanID       = "Malware Protection Plan Id"
	DimResourceName = "Resource Name"
)

// Periods of the alarms.
var (
	oneMinute   = awscdk.Duration_Minutes(jsii.Number(1))
	fiveMinutes = awscdk.Duration_Minutes(jsii.Number(5))
)

// MonitoringProps configures NewMonitoring.
type MonitoringProps struct {
	// Env is the validated environment: its name is the signer metrics'
	// Environment dimension, and it holds the alarm settings.
	Env *config.Environment
	// LoadBalancer fronts the signer.
	LoadBalancer awselasticloadbalancingv2.IApplicationLoadBalancer
	// TargetGroup holds the signer tasks.
	TargetGroup awselasticloadbalancingv2.IApplicationTargetGroup
	// Bucket is the upload bucket.
	Bucket awss3.IBucket
	// MalwarePlanID is the Malware Protection plan's id, or nil when
	// malware scanning is off.
	MalwarePlanID *string
	// Topic receives every alarm and OK (see NewAlarmTopic), or nil.
	Topic awssns.ITopic
}

// Monitoring is the dashboard, the alarms and their topic.
type Monitoring struct {
	constructs.Construct
	// Dashboard shows the environment at a glance.
	Dashboard awscloudwatch.Dashboard
	// Alarms by construct id (AlarmServerErrors, ...).
	Alarms map[string]awscloudwatch.Alarm
	// UploadsRule matches the bucket's "Object Created" events under the
	// upload prefix; its EventBridge metrics count the uploads.
	UploadsRule awsevents.CfnRule
}

// NewMonitoring builds the dashboard, alarms, topic and uploads rule.
func NewMonitoring(scope constructs.Construct, id string, props *MonitoringProps) *Monitoring {
	env := props.Env
	this := constructs.NewConstruct(scope, jsii.String(id))
	m := &Monitoring{Construct: this, Alarms: map[string]awscloudwatch.Alarm{}}

	m.UploadsRule = uploadsRule(this, env, props.Bucket)
	mt := newMetrics(env, props, m.UploadsRule)

	alarm := func(id, description string, metric awscloudwatch.IMetric, threshold float64, op awscloudwatch.ComparisonOperator, evaluate, breaching int) {
		m.Alarms[id] = awscloudwatch.NewAlarm(this, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(fmt.Sprintf("s3presign %s: %s", env.Name, description)),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: op,
			EvaluationPeriods:  jsii.Number(evaluate),
			DatapointsToAlarm:  jsii.Number(breaching),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	alarm(AlarmServerErrors, fmt.Sprintf("more than %d%% of requests answered 5xx by the load balancer or the signer, in 3 of 5 minutes", env.AlarmServerErrorPercent),
		mt.serverErrorRate, float64(env.AlarmServerErrorPercent), awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, 5, 3)
	alarm(AlarmLatency, fmt.Sprintf("the signer's p99 latency is above %d ms for 15 minutes", env.AlarmLatencyP99Ms),
		mt.latencyP99, float64(env.AlarmLatencyP99Ms), awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, 3, 3)
	alarm(AlarmUnhealthyHosts, fmt.Sprintf("%d or more signer tasks fail the load balancer's health check for 3 minutes", env.AlarmUnhealthyHosts),
		mt.unhealthy, float64(env.AlarmUnhealthyHosts), awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 3, 3)
	alarm(AlarmRefusals, fmt.Sprintf("more than %d requests refused (any error code) in 5 minutes: someone probing, or a broken client", env.AlarmRefusalsPer5Min),
		mt.refused, float64(env.AlarmRefusalsPer5Min), awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, 1, 1)
	if mt.infected != nil {
		alarm(AlarmMalware, "GuardDuty Malware Protection found a threat in an upload (tagged THREATS_FOUND; presigned GETs of it are refused)",
			mt.infected, 0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, 1, 1)
	}

	if mt.keyReloadFailures != nil {
		alarm(AlarmKeyReloads, "a signer task could not reload the API-key secret: it keeps its last good keys, so a key removed since may still work there",
			mt.keyReloadFailures, 0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, 1, 1)
	}

	if props.Topic != nil {
		action := awscloudwatchactions.NewSnsAction(props.Topic)
		for _, id := range AlarmIDs(env) {
			m.Alarms[id].AddAlarmAction(action)
			m.Alarms[id].AddOkAction(action)
		}
	}

	m.Dashboard = dashboard(this, env, mt, m)
	return m
}

// AlarmIDs lists the alarms an environment gets, in dashboard order.
func AlarmIDs(env *config.Environment) []string {
	ids := []string{AlarmServerErrors, AlarmLatency, AlarmUnhealthyHosts, AlarmRefusals}
	if env.MalwareScanning {
		ids = append(ids, AlarmMalware)
	}
	if env.AuthMode == config.AuthAPIKey {
		ids = append(ids, AlarmKeyReloads)
	}
	return ids
}

// AlarmTopic is the SNS topic the alarms notify, with its key.
type AlarmTopic struct {
	constructs.Construct
	// Topic is encrypted with Key and refuses non-TLS requests.
	Topic awssns.Topic
	// Key encrypts the topic's messages.
	Key awskms.Key
}

// NewAlarmTopic returns an SNS topic encrypted with a key of its own
// (CloudWatch may use it to publish; the AWS-managed SNS key would not let
// it), TLS only, with every alarmEmails address subscribed. It belongs in
// the stateful stack: replacing the topic would drop the subscriptions
// people confirmed by mail.
func NewAlarmTopic(scope constructs.Construct, id string, env *config.Environment) *AlarmTopic {
	this := constructs.NewConstruct(scope, jsii.String(id))
	a := &AlarmTopic{Construct: this}
	scope = this
	key := awskms.NewKey(scope, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("s3presign " + env.Name + " alarm topic encryption"),
		EnableKeyRotation: jsii.Bool(true),
		// Only messages in flight are encrypted with it: nothing to keep.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	cw := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{cw},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}), nil)
	topic := awssns.NewTopic(scope, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("s3presign " + env.Name + " alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{cw},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}))
	for _, mail := range env.AlarmEmails {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(mail), nil))
	}
	a.Topic, a.Key = topic, key
	return a
}

// uploadsRule matches S3's "Object Created" events for the upload prefix
// (PUT, POST, CompleteMultipartUpload, copy) and delivers them to a log group
// of their own. The count comes from the rule's EventBridge metric
// (AWS/Events Invocations by RuleName), which costs nothing; the log group
// is the cheapest target that keeps a trace (about $0.50 per million
// uploads ingested). S3 request metrics would cost a custom-metric set per
// filter (16 metrics) and count requests, not objects.
func uploadsRule(scope constructs.Construct, env *config.Environment, bucket awss3.IBucket) awsevents.CfnRule {
	stack := awscdk.Stack_Of(scope)
	logs := awslogs.NewLogGroup(scope, jsii.String("UploadEvents"), &awslogs.LogGroupProps{
		Retention:     service.Retention(env.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// EventBridge targets name a log group without the ":*" suffix.
	logsARN := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("logs"),
		Resource:     jsii.String("log-group"),
		ResourceName: logs.LogGroupName(),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	rule := awsevents.NewCfnRule(scope, jsii.String("UploadsCreated"), &awsevents.CfnRuleProps{
		Description: jsii.String("s3presign " + env.Name + ": objects created under " + env.UploadPrefix + " (the dashboard's uploads count)"),
		EventPattern: map[string]any{
			"source":      []string{"aws.s3"},
			"detail-type": []string{"Object Created"},
			"detail": map[string]any{
				"bucket": map[string]any{"name": []string{*bucket.BucketName()}},
				"object": map[string]any{"key": []any{map[string]any{"prefix": env.UploadPrefix}}},
			},
		},
		State:   jsii.String("ENABLED"),
		Targets: &[]*awsevents.CfnRule_TargetProperty{{Id: jsii.String("UploadEventsLog"), Arn: logsARN}},
	})
	// EventBridge writes to the log group under this resource policy (an
	// account-wide Logs resource: CloudFormation names it after the stack).
	policy := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("EventBridgeWritesUploadEvents"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil), awsiam.NewServicePrincipal(jsii.String("delivery.logs.amazonaws.com"), nil)},
			Actions:    jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources:  jsii.Strings(*logs.LogGroupArn()),
			Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": rule.AttrArn()}},
		}),
	}})
	awslogs.NewCfnResourcePolicy(scope, jsii.String("UploadEventsPolicy"), &awslogs.CfnResourcePolicyProps{
		PolicyName: jsii.String(*stack.StackName() + "-upload-events"),
		// The document itself, resolved by the CDK: its ToJSON() value would
		// come back to Go and return with its condition map wrapped as
		// {"$jsii.map": ...}, which is not IAM (the grammar test catches it).
		PolicyDocument: awscdk.Stack_Of(scope).ToJsonString(policy, nil),
	})
	return rule
}
