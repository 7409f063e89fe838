package bootstrap_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/bootstrap"
	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/stacks"
	"github.com/s3presign/s3presign/signer/reporoot"
)

// createActions lists, per resource type, what CloudFormation calls to
// create it. ARN-scoped calls get the ARN CloudFormation's generated name
// would have (see arnFor); others are checked on "*".
var createActions = map[string][]string{
	"AWS::ApplicationAutoScaling::ScalableTarget":      {"application-autoscaling:RegisterScalableTarget"},
	"AWS::ApplicationAutoScaling::ScalingPolicy":       {"application-autoscaling:PutScalingPolicy"},
	"AWS::CloudFront::Distribution":                    {"cloudfront:CreateDistribution"},
	"AWS::CloudFront::OriginAccessControl":             {"cloudfront:CreateOriginAccessControl"},
	"AWS::CloudFront::CachePolicy":                     {"cloudfront:CreateCachePolicy"},
	"AWS::CloudFront::OriginRequestPolicy":             {"cloudfront:CreateOriginRequestPolicy"},
	"AWS::CloudFront::ResponseHeadersPolicy":           {"cloudfront:CreateResponseHeadersPolicy"},
	"AWS::CloudFront::Function":                        {"cloudfront:CreateFunction"},
	"AWS::CloudFront::VpcOrigin":                       {"cloudfront:CreateVpcOrigin", "elasticloadbalancing:DescribeLoadBalancers", "ec2:DescribeSubnets"},
	"AWS::CloudWatch::Alarm":                           {"cloudwatch:PutMetricAlarm"},
	"AWS::CloudWatch::Dashboard":                       {"cloudwatch:PutDashboard"},
	"AWS::EC2::EIP":                                    {"ec2:AllocateAddress"},
	"AWS::EC2::FlowLog":                                {"ec2:CreateFlowLogs", "logs:CreateLogDelivery"},
	"AWS::EC2::InternetGateway":                        {"ec2:CreateInternetGateway"},
	"AWS::EC2::NatGateway":                             {"ec2:CreateNatGateway"},
	"AWS::EC2::Route":                                  {"ec2:CreateRoute"},
	"AWS::EC2::RouteTable":                             {"ec2:CreateRouteTable"},
	"AWS::EC2::SecurityGroup":                          {"ec2:CreateSecurityGroup"},
	"AWS::EC2::SecurityGroupEgress":                    {"ec2:AuthorizeSecurityGroupEgress"},
	"AWS::EC2::SecurityGroupIngress":                   {"ec2:AuthorizeSecurityGroupIngress"},
	"AWS::EC2::Subnet":                                 {"ec2:CreateSubnet"},
	"AWS::EC2::SubnetRouteTableAssociation":            {"ec2:AssociateRouteTable"},
	"AWS::EC2::VPC":                                    {"ec2:CreateVpc"},
	"AWS::EC2::VPCEndpoint":                            {"ec2:CreateVpcEndpoint"},
	"AWS::EC2::VPCGatewayAttachment":                   {"ec2:AttachInternetGateway"},
	"AWS::ECS::Cluster":                                {"ecs:CreateCluster"},
	"AWS::ECS::Service":                                {"ecs:CreateService"},
	"AWS::ECS::TaskDefinition":                         {"ecs:RegisterTaskDefinition"},
	"AWS::ElasticLoadBalancingV2::Listener":            {"elasticloadbalancing:CreateListener"},
	"AWS::ElasticLoadBalancingV2::ListenerRule":        {"elasticloadbalancing:CreateRule"},
	"AWS::ElasticLoadBalancingV2::LoadBalancer":        {"elasticloadbalancing:CreateLoadBalancer"},
	"AWS::ElasticLoadBalancingV2::TargetGroup":         {"elasticloadbalancing:CreateTargetGroup"},
	"AWS::Events::ApiDestination":                      {"events:CreateApiDestination"},
	"AWS::Events::Connection":                          {"events:CreateConnection", "secretsmanager:CreateSecret"},
	"AWS::Events::Rule":                                {"events:PutRule", "events:PutTargets"},
	"AWS::GuardDuty::MalwareProtectionPlan":            {"guardduty:CreateMalwareProtectionPlan"},
	"AWS::IAM::ManagedPolicy":                          {"iam:CreatePolicy"},
	"AWS::IAM::Policy":                                 {"iam:PutRolePolicy"},
	"AWS::IAM::Role":                                   {"iam:CreateRole", "iam:PutRolePolicy"},
	"AWS::IAM::User":                                   {"iam:CreateUser", "iam:PutUserPolicy"},
	"AWS::IAM::AccessKey":                              {"iam:CreateAccessKey"},
	"AWS::KMS::Alias":                                  {"kms:CreateAlias"},
	"AWS::KMS::Key":                                    {"kms:CreateKey", "kms:PutKeyPolicy", "kms:EnableKeyRotation"},
	"AWS::Lambda::Function":                            {"lambda:CreateFunction"},
	"AWS::Logs::LogGroup":                              {"logs:CreateLogGroup", "logs:PutRetentionPolicy"},
	"AWS::Logs::MetricFilter":                          {"logs:PutMetricFilter"},
	"AWS::Logs::ResourcePolicy":                        {"logs:PutResourcePolicy"},
	"AWS::S3::Bucket":                                  {"s3:CreateBucket", "s3:PutBucketPolicy", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"},
	"AWS::S3::BucketPolicy":                            {"s3:PutBucketPolicy"},
	"AWS::SNS::Subscription":                           {"sns:Subscribe"},
	"AWS::SNS::Topic":                                  {"sns:CreateTopic"},
	"AWS::SNS::TopicPolicy":                            {"sns:SetTopicAttributes"},
	"AWS::SQS::Queue":                                  {"sqs:CreateQueue"},
	"AWS::SQS::QueuePolicy":                            {"sqs:SetQueueAttributes"},
	"AWS::SecretsManager::Secret":                      {"secretsmanager:CreateSecret"},
	"AWS::SecretsManager::SecretTargetAttachment":      {"secretsmanager:UpdateSecret"},
	"AWS::WAFv2::IPSet":                                {"wafv2:CreateIPSet"},
	"AWS::WAFv2::LoggingConfiguration":                 {"wafv2:PutLoggingConfiguration"},
	"AWS::WAFv2::WebACL":                               {"wafv2:CreateWebACL"},
	"AWS::WAFv2::WebACLAssociation":                    {"wafv2:AssociateWebACL"},
	"AWS::CDK::Metadata":                               {},
	"Custom::VpcRestrictDefaultSG":                     {"lambda:InvokeFunction"},
	"AWS::CloudFormation::CustomResource":              {"lambda:InvokeFunction"},
	"AWS::ElasticLoadBalancingV2::ListenerCertificate": {"elasticloadbalancing:AddListenerCertificates"},
}

// generatedName is the name CloudFormation gives an unnamed resource:
// stack name, logical ID and a random suffix.
func generatedName(stack, id string) string { return stack + "-" + id + "-AbC123" }

// arnFor is the ARN an action on a new resource is authorized against.
func arnFor(action, stack, id string) string {
	name := generatedName(stack, id)
	switch strings.SplitN(action, ":", 2)[0] {
	case "iam":
		if strings.Contains(action, "User") || strings.Contains(action, "AccessKey") {
			return "arn:aws:iam::" + testAccount + ":user/" + name
		}
		if strings.Contains(action, "CreatePolicy") {
			return "arn:aws:iam::" + testAccount + ":policy/" + name
		}
		return "arn:aws:iam::" + testAccount + ":role/" + name
	case "s3":
		return "arn:aws:s3:::" + strings.ToLower(name)
	case "lambda":
		return "arn:aws:lambda:" + testRegion + ":" + testAccount + ":function:" + name
	}
	return "*"
}

// appTemplates synthesizes env's app stacks, by stack name.
func appTemplates(t *testing.T, env config.Environment) map[string]map[string]any {
	t.Helper()
	root, err := reporoot.Find()
	if err != nil {
		t.Fatal(err)
	}
	signerDir, err := reporoot.SignerDir(root)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	// cdk.json's context (feature flags), as `cdk synth` passes it.
	ctx := file.Context
	ctx[config.EnvContextKey] = env.Name
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, AnalyticsReporting: jsii.Bool(false)})
	st := stacks.Build(app, &env, signerDir)
	return map[string]map[string]any{
		*st.Storage.StackName(): templateOf(t, st.Storage.Stack),
		*st.Service.StackName(): templateOf(t, st.Service.Stack),
	}
}

// deployVariants are every committed environment and the signing: user
// variant, whose IAM user the policy must allow too.
func deployVariants(t *testing.T) map[string]config.Environment {
	out := map[string]config.Environment{}
	for _, n := range []string{"dev", "staging", "prod"} {
		out[n] = cdkEnv(t, n)
	}
	user := cdkEnv(t, "dev")
	user.Signing = config.SigningUser
	out["dev (signing: user)"] = user
	return out
}

func executionPolicy(t *testing.T, env config.Environment) []statement {
	t.Helper()
	tpls := synthBootstrap(t, env)
	for _, p := range resources(tpls.exec, "AWS::IAM::ManagedPolicy") {
		props := p["Properties"].(map[string]any)
		if props["ManagedPolicyName"] == bootstrap.ExecutionPolicyName(env.Name) {
			return parseDocument(t, props["PolicyDocument"])
		}
	}
	t.Fatal("no execution policy in the execution stack")
	return nil
}

// TestExecutionPolicyCreatesEveryResourceType walks every resource of every
// environment's templates: CloudFormation, running with only the execution
// policy, must be allowed each create call; roles and users must carry the
// boundary; passed roles and attached managed policies must be allowed.
func TestExecutionPolicyCreatesEveryResourceType(t *testing.T) {
	boundaryArn := func(env string) string {
		return "arn:aws:iam::" + testAccount + ":policy/" + bootstrap.BoundaryPolicyName(env)
	}
	defer useAccount(testAccount)
	for variant, env := range deployVariants(t) {
		useAccount(env.Account)
		policy := [][]statement{executionPolicy(t, env)}
		seen := map[string]bool{}
		for stackName, tpl := range appTemplates(t, env) {
			all := resources(tpl, "")
			ids := make([]string, 0, len(all))
			for id := range all {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				r := all[id]
				typ := r["Type"].(string)
				seen[typ] = true
				actions, known := createActions[typ]
				if !known {
					t.Errorf("%s: resource type %s (%s/%s) is not in createActions: add the API calls CloudFormation makes to create it, "+
						"and grant them in bootstrap.ExecutionDocument if the execution policy lacks them", variant, typ, stackName, id)
					continue
				}
				props, _ := r["Properties"].(map[string]any)
				ctx := map[string]string{}
				if typ == "AWS::IAM::Role" || typ == "AWS::IAM::User" {
					if b, ok := resolve(t, props["PermissionsBoundary"]).(string); ok {
						ctx["iam:PermissionsBoundary"] = b
					}
					if ctx["iam:PermissionsBoundary"] != boundaryArn(env.Name) {
						t.Errorf("%s: %s/%s does not carry the boundary %s (got %q)", variant, stackName, id, boundaryArn(env.Name), ctx["iam:PermissionsBoundary"])
					}
					for _, arn := range strs(t, resolve(t, props["ManagedPolicyArns"])) {
						attach := request{Action: "iam:AttachRolePolicy", Resource: arnFor("iam:AttachRolePolicy", stackName, id),
							Context: map[string]string{"iam:PolicyARN": arn, "iam:PermissionsBoundary": ctx["iam:PermissionsBoundary"]}}
						if !allowed(t, policy, attach) {
							t.Errorf("%s: the execution policy may not attach %s to %s/%s", variant, arn, stackName, id)
						}
					}
				}
				for _, action := range actions {
					req := request{Action: action, Resource: arnFor(action, stackName, id), Context: ctx}
					if typ == "AWS::IAM::Policy" {
						// Put on each role it names, which carry the boundary.
						req.Context = map[string]string{"iam:PermissionsBoundary": boundaryArn(env.Name)}
					}
					if !allowed(t, policy, req) {
						t.Errorf("%s: the execution policy does not allow %s on %s, needed to create %s (%s/%s)", variant, action, req.Resource, typ, stackName, id)
					}
				}
				checkPassedRoles(t, policy, variant, stackName, all, props)
			}
		}
		if !seen["AWS::IAM::Role"] {
			t.Errorf("%s: no role in the templates: the walk saw %v", variant, seen)
		}
		if env.Signing == config.SigningUser && !seen["AWS::IAM::User"] {
			t.Errorf("%s: the signing: user variant has no IAM user", variant)
		}
	}
}

// checkPassedRoles: every role a resource references by ARN is passed to
// its service, which needs iam:PassRole on it.
func checkPassedRoles(t *testing.T, policy [][]statement, variant, stackName string, all map[string]map[string]any, props map[string]any) {
	t.Helper()
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if g, ok := x["Fn::GetAtt"].([]any); ok && len(g) == 2 && g[1] == "Arn" {
				if target, ok := all[g[0].(string)]; ok && target["Type"] == "AWS::IAM::Role" {
					arn := arnFor("iam:PassRole", stackName, g[0].(string))
					if !allowed(t, policy, request{Action: "iam:PassRole", Resource: arn}) {
						t.Errorf("%s: the execution policy may not pass %s", variant, arn)
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(props)
}

func TestExecutionPolicyDenials(t *testing.T) {
	defer useAccount(testAccount)
	for variant, env := range map[string]config.Environment{"prod": cdkEnv(t, "prod"), "signing: user": deployVariants(t)["dev (signing: user)"]} {
		useAccount(env.Account)
		policy := [][]statement{executionPolicy(t, env)}
		p := bootstrap.NamePrefix(env.Name)
		boundary := map[string]string{"iam:PermissionsBoundary": "arn:aws:iam::" + testAccount + ":policy/" + bootstrap.BoundaryPolicyName(env.Name)}
		role := "arn:aws:iam::" + testAccount + ":role/" + p + "service-TaskRole-AbC"
		check := func(want bool, what string, r request) {
			if got := allowed(t, policy, r); got != want {
				t.Errorf("%s: %s: allowed = %v, want %v", variant, what, got, want)
			}
		}
		// Controls beside each denial.
		check(true, "create a prefixed role with the boundary", request{"iam:CreateRole", role, boundary})
		check(false, "create a prefixed role without the boundary", request{"iam:CreateRole", role, nil})
		check(false, "create a role outside the prefix", request{"iam:CreateRole", "arn:aws:iam::" + testAccount + ":role/admin", boundary})
		check(true, "attach an app policy to an app role", request{"iam:AttachRolePolicy", role,
			map[string]string{"iam:PolicyARN": "arn:aws:iam::" + testAccount + ":policy/" + p + "service-Extra-AbC", "iam:PermissionsBoundary": boundary["iam:PermissionsBoundary"]}})
		check(false, "attach AdministratorAccess to an app role", request{"iam:AttachRolePolicy", role,
			map[string]string{"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess", "iam:PermissionsBoundary": boundary["iam:PermissionsBoundary"]}})
		check(false, "remove a role's boundary", request{"iam:DeleteRolePermissionsBoundary", role, nil})
		check(false, "create a user outside the prefix", request{"iam:CreateUser", "arn:aws:iam::" + testAccount + ":user/mallory", boundary})
		check(false, "create an access key outside the prefix", request{"iam:CreateAccessKey", "arn:aws:iam::" + testAccount + ":user/mallory", nil})
		check(env.Signing == config.SigningUser, "create the prefixed signing user with the boundary",
			request{"iam:CreateUser", "arn:aws:iam::" + testAccount + ":user/" + p + "service-SigningUser-AbC", boundary})
		for _, a := range []string{"organizations:LeaveOrganization", "organizations:CreateAccount", "account:PutAlternateContact"} {
			check(false, a, request{a, "*", nil})
		}
		// The delivery's own policies and roles share the prefix: controls
		// above (an app role, an app policy) are allowed, these are not.
		check(true, "new version of an app policy", request{"iam:CreatePolicyVersion", "arn:aws:iam::" + testAccount + ":policy/" + p + "service-Extra-AbC", nil})
		for _, name := range []string{bootstrap.ExecutionPolicyName(env.Name), bootstrap.BoundaryPolicyName(env.Name)} {
			check(false, "new version of "+name, request{"iam:CreatePolicyVersion", "arn:aws:iam::" + testAccount + ":policy/" + name, nil})
			check(false, "delete "+name, request{"iam:DeletePolicy", "arn:aws:iam::" + testAccount + ":policy/" + name, nil})
		}
		check(true, "update an app role's trust", request{"iam:UpdateAssumeRolePolicy", role, nil})
		githubRole := "arn:aws:iam::" + testAccount + ":role/" + bootstrap.RolesStackName(env.Name) + "-DeployRole-AbC"
		check(false, "update the GitHub deploy role's trust", request{"iam:UpdateAssumeRolePolicy", githubRole, nil})
		check(false, "put an inline policy on the GitHub deploy role", request{"iam:PutRolePolicy", githubRole, nil})
		check(true, "create a bucket of the app", request{"s3:CreateBucket", "arn:aws:s3:::" + p + "storage-uploads-abc", nil})
		check(false, "read another bucket's objects", request{"s3:GetObject", "arn:aws:s3:::other-team-data/secret", nil})
	}
}

func TestExecutionPolicyFitsAManagedPolicy(t *testing.T) {
	for variant, env := range deployVariants(t) {
		doc := jsonOf(bootstrap.ExecutionDocument(env, bootstrap.DefaultQualifier))
		// IAM counts a managed policy's characters without whitespace; the
		// ${AWS::…} references get shorter once resolved.
		if n := len(strings.Join(strings.Fields(doc), "")); n > 6144 {
			t.Errorf("%s: execution policy is %d characters; IAM allows 6144 per managed policy", variant, n)
		}
	}
}

// TestBoundaryAllowsEveryAppRoleAction: a role's own policy is capped by the
// boundary, so every action an app role is granted must be inside it, or
// the role silently loses it at run time.
func TestBoundaryAllowsEveryAppRoleAction(t *testing.T) {
	env := cdkEnv(t, "prod")
	tpls := synthBootstrap(t, env)
	var boundary []statement
	for _, p := range resources(tpls.exec, "AWS::IAM::ManagedPolicy") {
		props := p["Properties"].(map[string]any)
		if props["ManagedPolicyName"] == bootstrap.BoundaryPolicyName(env.Name) {
			boundary = parseDocument(t, props["PolicyDocument"])
		}
	}
	if boundary == nil {
		t.Fatal("no boundary policy")
	}
	if allowed(t, [][]statement{boundary}, request{Action: "iam:CreateRole", Resource: "*"}) ||
		allowed(t, [][]statement{boundary}, request{Action: "sts:AssumeRole", Resource: "*"}) {
		t.Error("the boundary lets app roles create roles or assume roles")
	}
	defer useAccount(testAccount)
	for variant, env := range deployVariants(t) {
		useAccount(env.Account)
		n := 0
		for stackName, tpl := range appTemplates(t, env) {
			for id, p := range resources(tpl, "AWS::IAM::Policy") {
				for _, st := range parseDocument(t, p["Properties"].(map[string]any)["PolicyDocument"]) {
					if st.Effect != "Allow" {
						continue
					}
					for _, a := range st.Action {
						n++
						if !allowed(t, [][]statement{boundary}, request{Action: a, Resource: "*"}) {
							t.Errorf("%s: %s/%s grants %s, which the boundary does not allow: add its service to bootstrap.BoundaryServices", variant, stackName, id, a)
						}
					}
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no role actions found", variant)
		}
	}
}
