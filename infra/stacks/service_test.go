package stacks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/service"
	"github.com/s3presign/s3presign/infra/stacks"
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
		sconfig.EnvBucket:           `{"Fn::GetStackOutput":{"OutputName":"PublishOutputRef` + bucketLogicalID + `3ACBC981","Region":{"Ref":"AWS::Region"},"StackName":"s3presign-dev-storage"}}`,
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
		sconfig.EnvAuthMode:         `"none"`,
		sconfig.EnvTrustedProxyHops: `"1"`,
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

func TestHTTPSWithRedirectWhenACertificateIsConfigured(t *testing.T) {
	prod := synthEnv(t, "prod")
	ls := listeners(prod)
	if len(ls) != 2 {
		t.Fatalf("prod: %d listeners, want 443 and the 80 redirect", len(ls))
	}
	https := ls[443]
	if https["Protocol"] != "HTTPS" || !strings.Contains(js(https["Certificates"]), prod.env.CertificateArn) || https["SslPolicy"] != "ELBSecurityPolicy-TLS13-1-2-2021-06" {
		t.Errorf("prod 443 listener %s", js(https))
	}
	if got := js(ls[80]["DefaultActions"]); got != `[{"RedirectConfig":{"Port":"443","Protocol":"HTTPS","StatusCode":"HTTP_301"},"Type":"redirect"}]` {
		t.Errorf("prod port 80 actions %s, want a redirect to HTTPS", got)
	}
	if got := js(dig(prod.service, "Outputs", stacks.OutputSignerURL, "Value")); got != `"https://signer.example.com"` {
		t.Errorf("prod signer URL %s", got)
	}
	if ws := prod.warnings; len(ws) != 0 {
		t.Errorf("prod must synthesize without warnings, got %v", ws)
	}

	dev := synthEnv(t, "dev")
	ls = listeners(dev)
	if len(ls) != 1 || ls[80]["Protocol"] != "HTTP" || !strings.Contains(js(ls[80]["DefaultActions"]), `"Type":"forward"`) {
		t.Errorf("dev listeners %s, want HTTP 80 forwarding to the signer", js(ls))
	}
	if !contains(dev.warnings[stacks.ServiceStackName("dev")], "no certificateArn") {
		t.Errorf("dev: no HTTP-only warning at synth, got %v", dev.warnings)
	}
	if got := js(dig(dev.service, "Outputs", stacks.OutputSignerURL, "Value")); !strings.HasPrefix(got, `{"Fn::Join":["",["http://",{"Fn::GetAtt":["SignerLoadBalancer`) {
		t.Errorf("dev signer URL %s, want http:// + the ALB's DNS name", got)
	}
}

func TestOutputsAndAccessLogs(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		if got := js(dig(s.storage, "Outputs", stacks.OutputBucketName, "Value")); got != `{"Ref":"`+bucketLogicalID+`"}` {
			t.Errorf("%s: bucket name output %s", name, got)
		}
		if got := js(dig(s.service, "Outputs", stacks.OutputLoadBalancerDNS, "Value")); !strings.HasPrefix(got, `{"Fn::GetAtt":["SignerLoadBalancer`) {
			t.Errorf("%s: load balancer DNS output %s", name, got)
		}
		_, lb := only(t, s.service, "AWS::ElasticLoadBalancingV2::LoadBalancer")
		attrs := js(props(lb)["LoadBalancerAttributes"])
		logged := strings.Contains(attrs, `{"Key":"access_logs.s3.enabled","Value":"true"}`)
		if want := s.env.Region != ""; logged != want {
			t.Errorf("%s: ALB access logs %v, want %v (only with a known region)", name, logged, want)
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
