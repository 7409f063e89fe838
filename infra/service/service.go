// Package service is the stateless construct: the signer on ECS Fargate
// behind an internal Application Load Balancer, its VPC, task role,
// environment and secrets. The load balancer has no public address: the
// CloudFront distribution (infra/edge) is the only way in.
package service

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/internal/iamx"
	"github.com/s3presign/s3presign/infra/internal/removal"
	"github.com/s3presign/s3presign/infra/secrets"
	"github.com/s3presign/s3presign/infra/signerenv"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// Container settings shared with the signer image.
const (
	// ContainerName is the signer container's name in the task definition.
	ContainerName = "signer"
	// ContainerPort is where the signer listens.
	ContainerPort = signerenv.ContainerPort
	// BinaryPath is the signer binary inside the image (signer/Dockerfile).
	BinaryPath = "/signer"
	// NonRootUser is the image's numeric non-root uid:gid (signer/Dockerfile's
	// USER): it owns no file in the image, which holds only the binary.
	NonRootUser = "65532:65532"
	// ReadinessPath is the ALB health check path.
	ReadinessPath = "/readyz"
	// CPUTargetPercent is the autoscaling target for average CPU.
	CPUTargetPercent = 60
	// ListenerPort is the load balancer's only listener, plain HTTP inside
	// the VPC: CloudFront's VPC origin calls it; viewers reach CloudFront
	// over HTTPS only.
	ListenerPort = 80
)

// Names of the AWS SDK's credential variables, set from the signing user's
// secret in signing mode "user".
const (
	// EnvAWSAccessKeyID is read by the SDK's default credential chain.
	EnvAWSAccessKeyID = "AWS_ACCESS_KEY_ID"
	// EnvAWSSecretAccessKey is read by the SDK's default credential chain.
	EnvAWSSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
)

// ServiceProps configures NewService.
type ServiceProps struct {
	// Env is the validated environment.
	Env *config.Environment
	// SignerDir is the signer's folder (the container build context), an
	// absolute path resolved from the repository root.
	SignerDir *string
	// Bucket is the upload bucket.
	Bucket awss3.IBucket
	// Key is the bucket's KMS key, or nil.
	Key awskms.IKey
	// LogBucket receives ALB access logs and VPC flow logs.
	LogBucket awss3.IBucket
	// ALBLogPrefix and FlowLogPrefix are the folders in LogBucket.
	ALBLogPrefix, FlowLogPrefix *string
	// TokenKey signs multipart tokens.
	TokenKey awssecretsmanager.ISecret
	// APIKeys holds API-key hash lines (authMode apikey), or nil. The task
	// role may read it; the signer reloads it (EnvAPIKeysSecretARN).
	APIKeys awssecretsmanager.ISecret
	// SigningUserKeys holds the signing user's access key (signing user), or nil.
	SigningUserKeys awssecretsmanager.ISecret
}

// Service is the running signer.
type Service struct {
	constructs.Construct
	// LoadBalancer fronts the tasks: internal, reachable from inside the VPC
	// only (CloudFront's VPC origin).
	LoadBalancer awselasticloadbalancingv2.ApplicationLoadBalancer
	// Service is the ECS service.
	Service awsecs.FargateService
	// TaskRole is what the signer's code runs as.
	TaskRole awsiam.Role
	// Container is the signer container.
	Container awsecs.ContainerDefinition
	// TargetGroup holds the signer tasks behind the load balancer.
	TargetGroup awselasticloadbalancingv2.ApplicationTargetGroup
}

// NewService builds the VPC, cluster, task definition, service and ALB,
// step by step: the task role and definition, the signer container, the
// security groups, the Fargate service, the load balancer in front of it
// and the autoscaling.
func NewService(scope constructs.Construct, id string, props *ServiceProps) *Service {
	env := props.Env
	this := constructs.NewConstruct(scope, jsii.String(id))
	s := &Service{Construct: this}

	vpc := newVPC(this, env, props)
	privateSubnets := &awsec2.SubnetSelection{SubnetGroupName: jsii.String(PrivateSubnetGroup)}
	// Without NAT the private subnets are isolated: tasks run in the public
	// ones to reach ECR, Secrets Manager and CloudWatch Logs.
	publicTasks := env.NatGateways == 0
	taskSubnets := privateSubnets
	if publicTasks {
		taskSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC}
	}

	cluster := awsecs.NewCluster(this, jsii.String("Cluster"), &awsecs.ClusterProps{
		Vpc:                 vpc,
		ContainerInsightsV2: awsecs.ContainerInsights_ENABLED,
	})
	s.TaskRole = newTaskRole(this, env, props)
	taskDef := newTaskDefinition(this, env, s.TaskRole)
	s.Container = addSignerContainer(this, taskDef, s.TaskRole, env, props)
	albSG, taskSG := newSecurityGroups(this, vpc, env)
	s.Service = newFargateService(this, env, cluster, taskDef, taskSG, taskSubnets, publicTasks)
	s.LoadBalancer = newLoadBalancer(this, env, vpc, albSG, privateSubnets, props)
	s.TargetGroup = addSignerTargets(s.LoadBalancer, s.Service)
	autoscale(s.Service, env)
	return s
}

// newTaskRole is what the signer's code runs as: only the signer
// statements, nothing from grant* (see iamx.SignerStatements). In signing
// mode "user" the IAM user holds those rights instead and the task role
// gets none.
func newTaskRole(this constructs.Construct, env *config.Environment, props *ServiceProps) awsiam.Role {
	role := awsiam.NewRole(this, jsii.String("TaskRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("s3presign " + env.Name + " signer: put/get under the upload prefix only"),
	})
	if env.Signing == config.SigningRole {
		for _, st := range iamx.SignerStatements(env, props.Bucket, props.Key) {
			role.AddToPrincipalPolicy(st)
		}
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{iamx.PrefixWildcard(env.UploadPrefix)}, jsii.Bool(true))
	}
	return role
}

// newTaskDefinition sizes the task and picks its CPU architecture.
func newTaskDefinition(this constructs.Construct, env *config.Environment, role awsiam.Role) awsecs.FargateTaskDefinition {
	return awsecs.NewFargateTaskDefinition(this, jsii.String("Task"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(env.CPU),
		MemoryLimitMiB: jsii.Number(env.MemoryMiB),
		TaskRole:       role,
		RuntimePlatform: &awsecs.RuntimePlatform{
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
			CpuArchitecture:       cpuArchitecture(env),
		},
	})
}

// addSignerContainer adds the signer's container to the task: its image,
// log group, hardening, health check, settings and injected secrets.
func addSignerContainer(this constructs.Construct, taskDef awsecs.FargateTaskDefinition, role awsiam.Role, env *config.Environment, props *ServiceProps) awsecs.ContainerDefinition {
	logs := awslogs.NewLogGroup(this, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     Retention(env.LogRetentionDays),
		RemovalPolicy: removal.For(env),
	})

	// The same Dockerfile and context `make image` builds (signer/image.sh):
	// signer/.dockerignore lets in only the binary image.sh stages in
	// signer/dist, so the asset hash changes with that binary alone.
	// `make deploy` stages it for this architecture before cdk deploy.
	image := awsecrassets.NewDockerImageAsset(this, jsii.String("Image"), &awsecrassets.DockerImageAssetProps{
		Directory: props.SignerDir,
		File:      jsii.String("Dockerfile"),
		Platform:  awsecrassets.Platform_Custom(jsii.String("linux/" + env.GOARCH())),
	})

	container := taskDef.AddContainer(jsii.String(ContainerName), &awsecs.ContainerDefinitionOptions{
		ContainerName:          jsii.String(ContainerName),
		Image:                  awsecs.ContainerImage_FromDockerImageAsset(image),
		Essential:              jsii.Bool(true),
		ReadonlyRootFilesystem: jsii.Bool(true),
		User:                   jsii.String(NonRootUser),
		LinuxParameters:        noCapabilities(this),
		PortMappings:           &[]*awsecs.PortMapping{{ContainerPort: jsii.Number(ContainerPort), Protocol: awsecs.Protocol_TCP}},
		Logging: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{
			StreamPrefix: jsii.String(ContainerName),
			LogGroup:     logs,
		}),
		HealthCheck: &awsecs.HealthCheck{
			Command:     jsii.Strings("CMD", BinaryPath, "healthcheck"),
			Interval:    awscdk.Duration_Seconds(jsii.Number(15)),
			Timeout:     awscdk.Duration_Seconds(jsii.Number(5)),
			Retries:     jsii.Number(3),
			StartPeriod: awscdk.Duration_Seconds(jsii.Number(10)),
		},
		StopTimeout: awscdk.Duration_Seconds(jsii.Number(30)),
	})
	// Added one by one in sorted order so the template is the same on every synth.
	vars := signerenv.Vars(env, *props.Bucket.BucketName(), *awscdk.Aws_REGION())
	if props.APIKeys != nil {
		// The signer reads the API-key secret itself (task role) and reloads
		// it, so a key removed from the secret stops working within the
		// reload interval without a restart; ECS injection would read it
		// once, at task start.
		vars[sconfig.EnvAPIKeysSecretARN] = *props.APIKeys.SecretArn()
		for _, st := range readSecretStatements(props.APIKeys) {
			role.AddToPrincipalPolicy(st)
		}
	}
	for _, name := range sortedKeys(vars) {
		container.AddEnvironment(jsii.String(name), jsii.String(vars[name]))
	}
	injected := map[string]awsecs.Secret{
		sconfig.EnvTokenKey: awsecs.Secret_FromSecretsManager(props.TokenKey, nil),
	}
	if props.SigningUserKeys != nil {
		injected[EnvAWSAccessKeyID] = awsecs.Secret_FromSecretsManager(props.SigningUserKeys, jsii.String(secrets.FieldAccessKeyID))
		injected[EnvAWSSecretAccessKey] = awsecs.Secret_FromSecretsManager(props.SigningUserKeys, jsii.String(secrets.FieldSecretAccessKey))
	}
	for _, name := range sortedKeys(injected) {
		container.AddSecret(jsii.String(name), injected[name])
	}
	cdknag.NagSuppressions_AddResourceSuppressions(taskDef, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-ECS2"),
		Reason: jsii.String("Only non-secret settings (bucket name, region, prefix, limits, modes, origins) are plain variables, named by the signer's config constants and visible in template diffs; " +
			"every secret (token key, signing user's access key) is injected from Secrets Manager, and the API-key secret is passed by ARN only: the signer reads its value itself with the task role, to reload it."),
	}}, jsii.Bool(false))
	// After the container and its secrets: the execution role and its
	// policy exist only from here on.
	cdknag.NagSuppressions_AddResourceSuppressions(taskDef.ExecutionRole(), &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("The execution role's ecr:GetAuthorizationToken has no resource-level permissions, so AWS requires Resource \"*\"; image pulls, log writes and secret reads are scoped to their resources."),
		AppliesTo: &[]any{"Resource::*"},
	}}, jsii.Bool(true))
	return container
}

// newSecurityGroups are the load balancer's (the listener port from inside
// the VPC only) and the tasks' (the signer port; the load balancer's
// target registration opens it from the load balancer only).
func newSecurityGroups(this constructs.Construct, vpc awsec2.IVpc, env *config.Environment) (albSG, taskSG awsec2.SecurityGroup) {
	albSG = awsec2.NewSecurityGroup(this, jsii.String("LoadBalancerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("s3presign " + env.Name + " load balancer: the listener port from inside the VPC only (CloudFront VPC origin)"),
		AllowAllOutbound: jsii.Bool(false),
	})
	// CloudFront's VPC-origin interfaces live in the VPC's subnets; the load
	// balancer is internal, so nothing outside the VPC can reach it anyway.
	albSG.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(VPCCIDR)), awsec2.Port_Tcp(jsii.Number(ListenerPort)),
		jsii.String("CloudFront VPC origin (inside the VPC)"), jsii.Bool(false))
	taskSG = awsec2.NewSecurityGroup(this, jsii.String("TaskSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("s3presign " + env.Name + " signer tasks: the signer port from the load balancer only"),
		AllowAllOutbound: jsii.Bool(true),
	})
	return albSG, taskSG
}

// newFargateService runs the tasks with rolling, circuit-broken deploys.
func newFargateService(this constructs.Construct, env *config.Environment, cluster awsecs.Cluster, taskDef awsecs.FargateTaskDefinition,
	taskSG awsec2.SecurityGroup, taskSubnets *awsec2.SubnetSelection, publicTasks bool) awsecs.FargateService {
	return awsecs.NewFargateService(this, jsii.String("Service"), &awsecs.FargateServiceProps{
		Cluster:                cluster,
		TaskDefinition:         taskDef,
		DesiredCount:           jsii.Number(env.DesiredCount),
		AssignPublicIp:         jsii.Bool(publicTasks),
		VpcSubnets:             taskSubnets,
		SecurityGroups:         &[]awsec2.ISecurityGroup{taskSG},
		CircuitBreaker:         &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
		MinHealthyPercent:      jsii.Number(100),
		MaxHealthyPercent:      jsii.Number(200),
		HealthCheckGracePeriod: awscdk.Duration_Seconds(jsii.Number(30)),
		PlatformVersion:        awsecs.FargatePlatformVersion_VERSION1_4,
		EnableExecuteCommand:   jsii.Bool(false),
	})
}

// newLoadBalancer is the internal load balancer CloudFront's VPC origin
// calls, in the private subnets, with access logs on.
func newLoadBalancer(this constructs.Construct, env *config.Environment, vpc awsec2.IVpc, albSG awsec2.SecurityGroup,
	privateSubnets *awsec2.SubnetSelection, props *ServiceProps) awselasticloadbalancingv2.ApplicationLoadBalancer {
	lb := awselasticloadbalancingv2.NewApplicationLoadBalancer(this, jsii.String("LoadBalancer"), &awselasticloadbalancingv2.ApplicationLoadBalancerProps{
		Vpc:            vpc,
		InternetFacing: jsii.Bool(false),
		SecurityGroup:  albSG,
		// Private subnets in every environment: CloudFront VPC origins
		// require them, and they have no route from the internet.
		VpcSubnets:              privateSubnets,
		DropInvalidHeaderFields: jsii.Bool(true),
		DeletionProtection:      jsii.Bool(env.IsProd()),
	})
	logAccess(lb, props.LogBucket, props.ALBLogPrefix)
	return lb
}

// addSignerTargets adds the one listener and registers the service's
// signer containers behind it, health-checked on ReadinessPath.
func addSignerTargets(lb awselasticloadbalancingv2.ApplicationLoadBalancer, service awsecs.FargateService) awselasticloadbalancingv2.ApplicationTargetGroup {
	listener := lb.AddListener(jsii.String("Http"), &awselasticloadbalancingv2.BaseApplicationListenerProps{
		Port:     jsii.Number(ListenerPort),
		Protocol: awselasticloadbalancingv2.ApplicationProtocol_HTTP,
		Open:     jsii.Bool(false),
	})

	return listener.AddTargets(jsii.String("Signer"), &awselasticloadbalancingv2.AddApplicationTargetsProps{
		Port:     jsii.Number(ContainerPort),
		Protocol: awselasticloadbalancingv2.ApplicationProtocol_HTTP,
		Targets: &[]awselasticloadbalancingv2.IApplicationLoadBalancerTarget{service.LoadBalancerTarget(&awsecs.LoadBalancerTargetOptions{
			ContainerName: jsii.String(ContainerName),
			ContainerPort: jsii.Number(ContainerPort),
		})},
		HealthCheck: &awselasticloadbalancingv2.HealthCheck{
			Path:                    jsii.String(ReadinessPath),
			HealthyHttpCodes:        jsii.String("200"),
			Interval:                awscdk.Duration_Seconds(jsii.Number(15)),
			Timeout:                 awscdk.Duration_Seconds(jsii.Number(5)),
			HealthyThresholdCount:   jsii.Number(2),
			UnhealthyThresholdCount: jsii.Number(3),
		},
		DeregistrationDelay: awscdk.Duration_Seconds(jsii.Number(30)),
	})
}

// autoscale keeps between desiredCount and maxCount tasks, aiming at
// CPUTargetPercent average CPU.
func autoscale(service awsecs.FargateService, env *config.Environment) {
	scaling := service.AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: jsii.Number(env.DesiredCount),
		MaxCapacity: jsii.Number(env.MaxCount),
	})
	scaling.ScaleOnCpuUtilization(jsii.String("Cpu"), &awsecs.CpuUtilizationScalingProps{
		TargetUtilizationPercent: jsii.Number(CPUTargetPercent),
		ScaleInCooldown:          awscdk.Duration_Seconds(jsii.Number(120)),
		ScaleOutCooldown:         awscdk.Duration_Seconds(jsii.Number(60)),
	})
}

// cpuArchitecture is the tasks' CPU from cdk.json's cpuArchitecture.
func cpuArchitecture(env *config.Environment) awsecs.CpuArchitecture {
	if env.CPUArchitecture == config.ArchARM64 {
		return awsecs.CpuArchitecture_ARM64()
	}
	return awsecs.CpuArchitecture_X86_64()
}

// noCapabilities drops every Linux capability: the signer only listens on
// an unprivileged port and makes outbound calls.
func noCapabilities(scope constructs.Construct) awsecs.LinuxParameters {
	lp := awsecs.NewLinuxParameters(scope, jsii.String("LinuxParameters"), &awsecs.LinuxParametersProps{})
	lp.DropCapabilities(awsecs.Capability_ALL)
	return lp
}

// logAccess turns the load balancer's access logs on, into prefix of bucket.
// Unlike the CDK's LogAccessLogs it adds no bucket policy: the log bucket's
// own policy (infra/storage) grants the ELB log-delivery service, with a
// source-account condition, in every region. The load balancer waits for
// that policy, since ELB writes a test object when logging is turned on.
func logAccess(lb awselasticloadbalancingv2.ApplicationLoadBalancer, bucket awss3.IBucket, prefix *string) {
	lb.SetAttribute(jsii.String("access_logs.s3.enabled"), jsii.String("true"))
	lb.SetAttribute(jsii.String("access_logs.s3.bucket"), bucket.BucketName())
	lb.SetAttribute(jsii.String("access_logs.s3.prefix"), prefix)
	if policy := bucket.Policy(); policy != nil {
		lb.Node().AddDependency(policy)
	}
}

// readSecretStatements let the task role read secret's value, and nothing
// else: not DescribeSecret, not other secrets. A secret under the account's
// aws/secretsmanager key needs no KMS right (that key's policy allows
// decryption through Secrets Manager); under a customer-managed key the
// role may also decrypt with that key, only through Secrets Manager.
func readSecretStatements(secret awssecretsmanager.ISecret) []awsiam.PolicyStatement {
	sts := []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("SignerReadsAPIKeySecret"),
		Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
		Resources: jsii.Strings(*secret.SecretArn()),
	})}
	if key := secret.EncryptionKey(); key != nil {
		sts = append(sts, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("SignerDecryptsAPIKeySecret"),
			Actions:    jsii.Strings("kms:Decrypt"),
			Resources:  jsii.Strings(*key.KeyArn()),
			Conditions: &map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager." + *awscdk.Aws_REGION() + ".amazonaws.com"}},
		}))
	}
	return sts
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
