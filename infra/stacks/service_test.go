package stacks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/service"
	"github.com/s3presign/s3presign/infra/stacks"
	"github.com/s3presign/s3presign/infra/storage"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// container returns the signer's container definition.
func container(t *testing.T, s *synthesized) map[string]any {
	t.Helper()
	_, td := only(t, s.service, "AWS::ECS::TaskDefinition")
	defs := props(td)["ContainerDefinitions"].([]any)
	if len(defs) != 1 {
		t.Fatalf("got %d containers, want 1", len(defs))
	}
	return defs[0].(map[string]any)
}

// containerEnv returns the container's plain environment, values as JSON.
func containerEnv(t *testing.T, s *synthesized) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, kv := range container(t, s)["Environment"].([]any) {
		m := kv.(map[string]any)
		out[m["Name"].(string)] = js(m["Value"])
	}
	return out
}

// containerSecrets returns the container's secrets, ValueFrom as JSON.
func containerSecrets(t *testing.T, s *synthesized) map[string]string {
	t.Helper()
	out := map[string]string{}
	list, _ := container(t, s)["Secrets"].([]any)
	for _, kv := range list {
		m := kv.(map[string]any)
		out[m["Name"].(string)] = js(m["ValueFrom"])
	}
	return out
}

func TestContainerEnvironmentComesFromTheSettings(t *testing.T) {
	s := synthEnv(t, "dev")
	got := containerEnv(t, s)
	want := map[string]string{
		sconfig.EnvEnvironment:      `"dev"`,
		sconfig.EnvProduction:       `"false"`,
		sconfig.EnvBucket:           `{"Fn::GetStackOutput":{"OutputName":"PublishOutputRef` + bucketLogicalID + `3ACBC981","Region":"eu-west-1","StackName":"s3presign-dev-storage"}}`,
		sconfig.EnvRegion:           `{"Ref":"AWS::Region"}`,
		sconfig.EnvKeyPrefix:        `"uploads/"`,
		sconfig.EnvAllowedTypes:     `"image/png,image/jpeg,image/gif,image/webp,application/pdf"`,
		sconfig.EnvMaxSize:          `"104857600"`,
		sconfig.EnvDefaultExpiry:    `"15m"`,
		sconfig.EnvMaxExpiry:        `"1h"`,
		sconfig.EnvListenAddr:       `":8080"`,
		sconfig.EnvCORSOrigins:      `"http://127.0.0.1:8081,http://localhost:8081"`,
		sconfig.EnvCompatRoutes:     `"true"`,
		sconfig.EnvCompatOverwrite:  `"allow"`,
		sconfig.EnvCompatUnsized:    `"allow"`,
		sconfig.EnvAuthMode:         `"apikey"`,
		sconfig.EnvTrustedProxyHops: `"2"`,
		sconfig.EnvMetricsNamespace: `"S3Presign"`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected variable %s = %s", k, v)
		}
	}
	// Settings that only exist in some modes.
	v := containerEnv(t, variant(t))
	if v[sconfig.EnvOIDCIssuer] != `"https://idp.example.com"` || v[sconfig.EnvOIDCAudience] != `"s3presign"` || v[sconfig.EnvAuthMode] != `"oidc"` {
		t.Errorf("oidc variant: issuer %s audience %s mode %s", v[sconfig.EnvOIDCIssuer], v[sconfig.EnvOIDCAudience], v[sconfig.EnvAuthMode])
	}
	// The signer's production guard follows the production setting, not
	// the name: set in prod and in a second production environment.
	for _, p := range []*synthesized{synthEnv(t, "prod"), euProd(t)} {
		if got := containerEnv(t, p)[sconfig.EnvProduction]; got != `"true"` {
			t.Errorf("%s (production): %s = %s, want \"true\"", p.env.Name, sconfig.EnvProduction, got)
		}
	}
	if _, ok := containerEnv(t, bareVariant(t))[sconfig.EnvCORSOrigins]; ok {
		t.Error("no origins configured, but the signer gets a CORS origins variable")
	}
}

func TestSecretsAreInjectedNeverPlain(t *testing.T) {
	tests := []struct {
		s    *synthesized
		want []string
	}{
		{synthEnv(t, "dev"), []string{sconfig.EnvTokenKey}},
		{synthEnv(t, "prod"), []string{sconfig.EnvTokenKey}}, // API keys: by ARN, read by the signer
		{variant(t), []string{service.EnvAWSAccessKeyID, service.EnvAWSSecretAccessKey, sconfig.EnvTokenKey}},
	}
	for _, tt := range tests {
		got := containerSecrets(t, tt.s)
		var names []string
		for k := range got {
			names = append(names, k)
		}
		slices.Sort(names)
		if !slices.Equal(names, tt.want) {
			t.Errorf("%s: secrets %v, want %v", tt.s.env.Name, names, tt.want)
		}
		env := containerEnv(t, tt.s)
		for _, name := range tt.want {
			if _, plain := env[name]; plain {
				t.Errorf("%s: %s is also a plain environment variable", tt.s.env.Name, name)
			}
		}
	}
	got := containerSecrets(t, variant(t))
	for name, field := range map[string]string{service.EnvAWSAccessKeyID: ":accessKeyId::", service.EnvAWSSecretAccessKey: ":secretAccessKey::"} {
		if !strings.Contains(got[name], field) || !strings.Contains(got[name], "SecretsSigningUserKeys") {
			t.Errorf("%s from %s, want the signing user's secret, JSON field %s", name, got[name], field)
		}
	}
	prod := containerEnv(t, synthEnv(t, "prod"))
	if !strings.Contains(prod[sconfig.EnvAPIKeysSecretARN], `"OutputName":"PublishOutputRef`+apiKeysLogicalID) {
		t.Errorf("prod: %s = %s, want the API-key secret's ARN", sconfig.EnvAPIKeysSecretARN, prod[sconfig.EnvAPIKeysSecretARN])
	}
	if v, ok := prod[sconfig.EnvAPIKeys]; ok {
		t.Errorf("prod: the API-key lines are a plain variable: %s", v)
	}
	if _, ok := containerEnv(t, synthEnv(t, "dev"))[sconfig.EnvAPIKeysSecretARN]; ok {
		t.Error("dev (auth none): the signer gets an API-key secret ARN")
	}
}

func TestContainerHardening(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		c := container(t, s)
		checks := map[string]string{
			"ReadonlyRootFilesystem": `true`,
			"User":                   `"65532:65532"`,
			"Essential":              `true`,
			"PortMappings":           `[{"ContainerPort":8080,"Protocol":"tcp"}]`,
			"HealthCheck":            `{"Command":["CMD","/signer","healthcheck"],"Interval":15,"Retries":3,"StartPeriod":10,"Timeout":5}`,
			"LinuxParameters":        `{"Capabilities":{"Drop":["ALL"]}}`,
		}
		for key, want := range checks {
			if got := js(c[key]); got != want {
				t.Errorf("%s: container %s = %s, want %s", name, key, got, want)
			}
		}
		lgID, _ := dig(c, "LogConfiguration", "Options", "awslogs-group", "Ref").(string)
		lg := resources(s.service, "AWS::Logs::LogGroup")[lgID]
		if got := props(lg)["RetentionInDays"]; got != float64(s.env.LogRetentionDays) {
			t.Errorf("%s: log retention %v, want %d", name, got, s.env.LogRetentionDays)
		}
		if got := js(dig(c, "LogConfiguration", "LogDriver")); got != `"awslogs"` {
			t.Errorf("%s: log driver %s", name, got)
		}
	}
}

// TestImageFollowsCPUArchitecture: the task definition's runtimePlatform and
// the image asset's platform both follow cpuArchitecture (x86_64 in the
// committed environments, its default; arm64 in the variant), and the
// asset is signer/Dockerfile built from a context holding only what
// signer/.dockerignore lets in: the Dockerfile, the ignore file and the
// binaries signer/image.sh stages.
func TestImageFollowsCPUArchitecture(t *testing.T) {
	cases := []struct {
		s              *synthesized
		arch, platform string
	}{
		{synthEnv(t, "dev"), "X86_64", "linux/amd64"},
		{synthEnv(t, "staging"), "X86_64", "linux/amd64"},
		{synthEnv(t, "prod"), "X86_64", "linux/amd64"},
		{variant(t), "ARM64", "linux/arm64"},
	}
	for _, tc := range cases {
		_, td := only(t, tc.s.service, "AWS::ECS::TaskDefinition")
		if got := js(dig(props(td), "RuntimePlatform")); got != `{"CpuArchitecture":"`+tc.arch+`","OperatingSystemFamily":"LINUX"}` {
			t.Errorf("%s: runtime platform %s, want %s", tc.s.env.Name, got, tc.arch)
		}
		if len(tc.s.images) != 1 {
			t.Fatalf("%s: %d image assets, want 1", tc.s.env.Name, len(tc.s.images))
		}
		img := tc.s.images[0]
		if img.Platform != tc.platform || img.DockerFile != "Dockerfile" {
			t.Errorf("%s: image asset platform %q file %q, want %s and Dockerfile", tc.s.env.Name, img.Platform, img.DockerFile, tc.platform)
		}
		for _, f := range img.Files {
			if f != "Dockerfile" && f != ".dockerignore" && !strings.HasPrefix(f, "dist/signer-linux-") {
				t.Errorf("%s: the image's build context holds %s; signer/.dockerignore should keep it out", tc.s.env.Name, f)
			}
		}
		if !slices.Contains(img.Files, "Dockerfile") {
			t.Errorf("%s: staged context %v has no Dockerfile", tc.s.env.Name, img.Files)
		}
	}
}

func TestHealthChecksUseReadyz(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		_, tg := only(t, s.service, "AWS::ElasticLoadBalancingV2::TargetGroup")
		p := props(tg)
		if p["HealthCheckPath"] != "/readyz" || p["Port"] != float64(8080) || p["TargetType"] != "ip" {
			t.Errorf("%s: target group health check %v port %v type %v, want /readyz 8080 ip", name, p["HealthCheckPath"], p["Port"], p["TargetType"])
		}
	}
}

func TestServiceDeploymentAndNetworking(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		_, svc := only(t, s.service, "AWS::ECS::Service")
		p := props(svc)
		if got := js(dig(p, "DeploymentConfiguration", "DeploymentCircuitBreaker")); got != `{"Enable":true,"Rollback":true}` {
			t.Errorf("%s: circuit breaker %s", name, got)
		}
		public := js(dig(p, "NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp"))
		subnets := js(dig(p, "NetworkConfiguration", "AwsvpcConfiguration", "Subnets"))
		nats := len(resources(s.service, "AWS::EC2::NatGateway"))
		if nats != s.env.NatGateways {
			t.Errorf("%s: %d NAT gateways, want %d", name, nats, s.env.NatGateways)
		}
		if s.env.NatGateways == 0 {
			if public != `"ENABLED"` || !strings.Contains(subnets, "public") {
				t.Errorf("%s (no NAT): public IP %s subnets %s, want a public IP in public subnets", name, public, subnets)
			}
		} else if public != `"DISABLED"` || !strings.Contains(subnets, "private") || strings.Contains(subnets, "public") {
			t.Errorf("%s (NAT): public IP %s subnets %s, want no public IP in private subnets", name, public, subnets)
		}
		if n := len(resources(s.service, "AWS::EC2::VPCEndpoint")); n != 1 {
			t.Errorf("%s: %d VPC endpoints, want the S3 gateway endpoint", name, n)
		}
		if got, want := len(resources(s.service, "AWS::EC2::FlowLog")), map[bool]int{true: 1, false: 0}[s.env.VPCFlowLogs]; got != want {
			t.Errorf("%s: %d flow logs, want %d", name, got, want)
		}
	}
}

func TestTasksAdmitOnlyTheLoadBalancer(t *testing.T) {
	s := synthEnv(t, "prod")
	ingress := resources(s.service, "AWS::EC2::SecurityGroupIngress")
	if len(ingress) != 1 {
		t.Fatalf("got %d separate ingress rules, want 1 (load balancer -> tasks)", len(ingress))
	}
	for _, r := range ingress {
		p := props(r)
		if p["FromPort"] != float64(8080) || p["ToPort"] != float64(8080) || !strings.Contains(js(p["SourceSecurityGroupId"]), "LoadBalancerSecurityGroup") {
			t.Errorf("task ingress %s, want 8080 from the load balancer's group only", js(p))
		}
	}
}

func TestAutoscalingBetweenDesiredAndMax(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		_, target := only(t, s.service, "AWS::ApplicationAutoScaling::ScalableTarget")
		if p := props(target); p["MinCapacity"] != float64(s.env.DesiredCount) || p["MaxCapacity"] != float64(s.env.MaxCount) {
			t.Errorf("%s: capacity %v..%v, want %d..%d", name, p["MinCapacity"], p["MaxCapacity"], s.env.DesiredCount, s.env.MaxCount)
		}
		_, pol := only(t, s.service, "AWS::ApplicationAutoScaling::ScalingPolicy")
		cfg := dig(props(pol), "TargetTrackingScalingPolicyConfiguration")
		if js(dig(cfg, "PredefinedMetricSpecification", "PredefinedMetricType")) != `"ECSServiceAverageCPUUtilization"` || dig(cfg, "TargetValue") != float64(service.CPUTargetPercent) {
			t.Errorf("%s: scaling policy %s, want CPU at %d%%", name, js(cfg), service.CPUTargetPercent)
		}
	}
}

func listeners(s *synthesized) map[float64]map[string]any {
	out := map[float64]map[string]any{}
	for _, r := range resources(s.service, "AWS::ElasticLoadBalancingV2::Listener") {
		out[props(r)["Port"].(float64)] = props(r)
	}
	return out
}

func TestOutputsAndAccessLogs(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		if got := js(dig(s.storage, "Outputs", stacks.OutputBucketName, "Value")); got != `{"Ref":"`+bucketLogicalID+`"}` {
			t.Errorf("%s: bucket name output %s", name, got)
		}
		if got := js(dig(s.service, "Outputs", stacks.OutputDistributionDomain, "Value")); !strings.HasPrefix(got, `{"Fn::GetAtt":["EdgeDistribution`) {
			t.Errorf("%s: distribution domain output %s", name, got)
		}
		_, lb := only(t, s.service, "AWS::ElasticLoadBalancingV2::LoadBalancer")
		attrs := js(props(lb)["LoadBalancerAttributes"])
		// In every environment, region-agnostic ones too: the log bucket
		// grants the ELB log-delivery service, not a per-region account.
		if !strings.Contains(attrs, `{"Key":"access_logs.s3.enabled","Value":"true"}`) ||
			!strings.Contains(attrs, `{"Key":"access_logs.s3.prefix","Value":"`+storage.ALBLogPrefix+`"}`) {
			t.Errorf("%s: ALB access logs off or not under %q: %s", name, storage.ALBLogPrefix, attrs)
		}
		if !strings.Contains(attrs, `{"Key":"routing.http.drop_invalid_header_fields.enabled","Value":"true"}`) {
			t.Errorf("%s: ALB keeps invalid header fields", name)
		}
	}
}

func TestEveryAllowedLogRetentionHasACDKValue(t *testing.T) {
	for _, days := range config.LogRetentionValues {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("logRetentionDays %d accepted by config but not mapped: %v", days, r)
				}
			}()
			if service.Retention(days) == "" {
				t.Errorf("logRetentionDays %d maps to nothing", days)
			}
		}()
	}
}
