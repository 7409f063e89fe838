// Package stacks wires the constructs into two stacks per environment: the
// stateful storage stack (bucket, log bucket, key, secrets, malware scanning,
// alarm topic) and the stateless service stack (VPC, internal ALB, Fargate,
// CloudFront distribution, web ACL, dashboard, alarms), so the service can
// be replaced freely without touching data.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3presign/s3presign/infra/bootstrap"
	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/edge"
	"github.com/s3presign/s3presign/infra/monitoring"
	"github.com/s3presign/s3presign/infra/notifications"
	"github.com/s3presign/s3presign/infra/scanning"
	"github.com/s3presign/s3presign/infra/secrets"
	"github.com/s3presign/s3presign/infra/service"
	"github.com/s3presign/s3presign/infra/storage"
)

// Project prefixes every stack name and tags every resource.
const Project = "s3presign"

// StorageStackName is the storage stack's name (and construct id) for env.
func StorageStackName(env string) string { return Project + "-" + env + "-storage" }

// ServiceStackName is the service stack's name (and construct id) for env.
func ServiceStackName(env string) string { return Project + "-" + env + "-service" }

// Output names.
const (
	// OutputBucketName is the storage stack's output with the bucket name.
	OutputBucketName = "BucketName"
	// OutputSignerURL is the service stack's output with the signer's URL.
	OutputSignerURL = "SignerUrl"
	// OutputDistributionDomain is the CloudFront distribution's domain name,
	// the target of the CNAME (or Route 53 alias) for domainName.
	OutputDistributionDomain = "DistributionDomainName"
	// OutputDashboardName is the service stack's output with the CloudWatch
	// dashboard's name.
	OutputDashboardName = "DashboardName"
	// OutputNotificationQueueURL and OutputNotificationQueueARN are the
	// storage stack's outputs naming the upload notifications queue, which
	// the application's consumer reads.
	OutputNotificationQueueURL = "NotificationQueueUrl"
	OutputNotificationQueueARN = "NotificationQueueArn"
	// OutputConsumerPolicyARN is the managed policy the consumer's role
	// attaches.
	OutputConsumerPolicyARN = "NotificationConsumerPolicyArn"
)

// StorageStackProps configures NewStorageStack.
type StorageStackProps struct {
	awscdk.StackProps
	// Env is the validated environment.
	Env *config.Environment
}

// StorageStack holds everything stateful.
type StorageStack struct {
	awscdk.Stack
	// Storage is the bucket construct.
	Storage *storage.Storage
	// Secrets is the secrets construct.
	Secrets *secrets.Secrets
	// Scanning is the malware-scanning construct; nil unless Env.MalwareScanning.
	Scanning *scanning.Scanning
	// Alarms is the alarm topic; nil unless Env.AlarmEmails is set.
	Alarms *monitoring.AlarmTopic
	// Notifications delivers the upload events to the application's queue
	// (stateful: the queue holds events while the consumer is down).
	Notifications *notifications.Notifications
}

// NewStorageStack builds the stateful stack.
func NewStorageStack(scope constructs.Construct, id string, props *StorageStackProps) *StorageStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	s := &StorageStack{Stack: stack}
	s.Storage = storage.NewStorage(stack, "Storage", &storage.StorageProps{Env: props.Env})
	s.Secrets = secrets.NewSecrets(stack, "Secrets", &secrets.SecretsProps{
		Env:    props.Env,
		Bucket: s.Storage.Bucket,
		Key:    s.Storage.Key,
	})
	if props.Env.MalwareScanning {
		sp := &scanning.ScanningProps{Env: props.Env, Bucket: s.Storage.Bucket}
		if s.Storage.Key != nil {
			sp.Key = s.Storage.Key
		}
		s.Scanning = scanning.NewScanning(stack, "Scanning", sp)
	}
	if len(props.Env.AlarmEmails) > 0 {
		s.Alarms = monitoring.NewAlarmTopic(stack, "Alarms", props.Env)
	}
	np := &notifications.NotificationsProps{Env: props.Env, Bucket: s.Storage.Bucket}
	if s.Alarms != nil {
		np.Topic = s.Alarms.Topic
	}
	s.Notifications = notifications.NewNotifications(stack, "Notifications", np)
	awscdk.NewCfnOutput(stack, jsii.String(OutputBucketName), &awscdk.CfnOutputProps{
		Value:       s.Storage.Bucket.BucketName(),
		Description: jsii.String("The upload bucket"),
	})
	for _, o := range []struct{ name, value, what string }{
		{OutputNotificationQueueURL, *s.Notifications.Queue.QueueUrl(), "The upload notifications queue (the consumer reads it)"},
		{OutputNotificationQueueARN, *s.Notifications.Queue.QueueArn(), "The upload notifications queue's ARN"},
		{OutputConsumerPolicyARN, *s.Notifications.ConsumerPolicy.ManagedPolicyArn(), "Attach to the consumer's role: receive and delete on the notifications queue only"},
	} {
		awscdk.NewCfnOutput(stack, jsii.String(o.name), &awscdk.CfnOutputProps{Value: jsii.String(o.value), Description: jsii.String(o.what)})
	}
	return s
}

// ServiceStackProps configures NewServiceStack.
type ServiceStackProps struct {
	awscdk.StackProps
	// Env is the validated environment.
	Env *config.Environment
	// SignerDir is the signer's folder (container build context), absolute.
	SignerDir *string
	// Storage is the environment's storage stack.
	Storage *StorageStack
}

// ServiceStack holds the stateless signer service.
type ServiceStack struct {
	awscdk.Stack
	// Service is the signer construct.
	Service *service.Service
	// Edge is the distribution and web ACL in front of it.
	Edge *edge.Edge
	// Monitoring is the dashboard, alarms and alarm topic.
	Monitoring *monitoring.Monitoring
}

// NewServiceStack builds the stateless stack.
func NewServiceStack(scope constructs.Construct, id string, props *ServiceStackProps) *ServiceStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	st := props.Storage
	sp := &service.ServiceProps{
		Env:           props.Env,
		SignerDir:     props.SignerDir,
		Bucket:        st.Storage.Bucket,
		LogBucket:     st.Storage.LogBucket,
		ALBLogPrefix:  jsii.String(storage.ALBLogPrefix),
		FlowLogPrefix: jsii.String(storage.FlowLogPrefix),
		TokenKey:      st.Secrets.TokenKey,
	}
	if st.Storage.Key != nil {
		sp.Key = st.Storage.Key
	}
	if st.Secrets.APIKeys != nil {
		sp.APIKeys = st.Secrets.APIKeys
	}
	if st.Secrets.SigningUserKeys != nil {
		sp.SigningUserKeys = st.Secrets.SigningUserKeys
	}
	s := &ServiceStack{Stack: stack, Service: service.NewService(stack, "Signer", sp)}
	s.Edge = edge.NewEdge(stack, "Edge", &edge.EdgeProps{Env: props.Env, LoadBalancer: s.Service.LoadBalancer})
	mp := &monitoring.MonitoringProps{
		Env:          props.Env,
		LoadBalancer: s.Service.LoadBalancer,
		TargetGroup:  s.Service.TargetGroup,
		Bucket:       st.Storage.Bucket,
	}
	if st.Scanning != nil {
		mp.MalwarePlanID = st.Scanning.PlanID
	}
	if st.Alarms != nil {
		mp.Topic = st.Alarms.Topic
	}
	s.Monitoring = monitoring.NewMonitoring(stack, "Monitoring", mp)
	stack.AddStackDependency(st.Stack, jsii.String("the service reads the bucket, key and secrets"))
	awscdk.NewCfnOutput(stack, jsii.String(OutputSignerURL), &awscdk.CfnOutputProps{
		Value:       s.Edge.URL,
		Description: jsii.String("The signer's base URL (HTTPS, through CloudFront)"),
	})
	awscdk.NewCfnOutput(stack, jsii.String(OutputDistributionDomain), &awscdk.CfnOutputProps{
		Value:       s.Edge.Distribution.DistributionDomainName(),
		Description: jsii.String("Point domainName here (CNAME or Route 53 alias)"),
	})
	awscdk.NewCfnOutput(stack, jsii.String(OutputDashboardName), &awscdk.CfnOutputProps{
		Value:       s.Monitoring.Dashboard.DashboardName(),
		Description: jsii.String("The CloudWatch dashboard of this environment"),
	})
	return s
}

// Stacks are one environment's two stacks.
type Stacks struct {
	// Storage is the stateful stack.
	Storage *StorageStack
	// Service is the stateless stack.
	Service *ServiceStack
}

// Build adds env's two stacks to app and runs cdk-nag's AwsSolutions checks
// on them: any finding that is not suppressed (in code, with a reason) is an
// error at synth.
func Build(app awscdk.App, env *config.Environment, signerDir string) Stacks {
	base := awscdk.StackProps{
		TerminationProtection: jsii.Bool(env.IsProd()),
		Tags: &map[string]*string{
			"project":     jsii.String(Project),
			"environment": jsii.String(env.Name),
		},
	}
	if env.Account != "" {
		base.Env = &awscdk.Environment{Account: jsii.String(env.Account), Region: jsii.String(env.Region)}
		if len(env.AvailabilityZones) > 0 {
			// The VPC checks its zones against the stack's, which the CDK would
			// look up in the account (credentials needed, result cached in
			// cdk.context.json). The configured zones answer that lookup, so
			// synth stays offline.
			key := "availability-zones:account=" + env.Account + ":region=" + env.Region
			app.Node().SetContext(jsii.String(key), env.AvailabilityZones)
		}
	}

	storageProps := base
	storageProps.Description = jsii.String("s3presign " + env.Name + ": upload bucket, access-log bucket, key and secrets (stateful)")
	storageStack := NewStorageStack(app, StorageStackName(env.Name), &StorageStackProps{StackProps: storageProps, Env: env})

	serviceProps := base
	serviceProps.Description = jsii.String("s3presign " + env.Name + ": the signer on ECS Fargate behind an internal ALB, CloudFront and AWS WAF (stateless)")
	serviceStack := NewServiceStack(app, ServiceStackName(env.Name), &ServiceStackProps{
		StackProps: serviceProps,
		Env:        env,
		SignerDir:  jsii.String(signerDir),
		Storage:    storageStack,
	})

	// Every role and user the app creates carries the boundary `make
	// bootstrap` made: the execution policy lets CloudFormation create them
	// only with it. Applied per stack, so roles added later get it too.
	for _, st := range []awscdk.Stack{storageStack.Stack, serviceStack.Stack} {
		boundary := awsiam.ManagedPolicy_FromManagedPolicyName(st, jsii.String("PermissionsBoundary"), jsii.String(bootstrap.BoundaryPolicyName(env.Name)))
		awsiam.PermissionsBoundary_Of(st).Apply(boundary)
	}

	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true),
		Reports: jsii.Bool(false),
	}), nil)
	return Stacks{Storage: storageStack, Service: serviceStack}
}
