package edge

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/service"
)

// Web ACL rule names, also their CloudWatch metric names.
const (
	// RuleRateLimit blocks a viewer IP above wafRateLimit requests per 5 minutes.
	RuleRateLimit = "RateLimitPerViewerIP"
	// RuleCommon is AWS's core rule set (OWASP-style request inspection).
	RuleCommon = "AWSManagedRulesCommonRuleSet"
	// RuleKnownBadInputs is AWS's known bad inputs set (Log4Shell, Java
	// deserialization, host-header tricks).
	RuleKnownBadInputs = "AWSManagedRulesKnownBadInputsRuleSet"
	// WAFLogGroupPrefix starts the name of every log group WAF may log to
	// (an AWS WAF rule, not a choice).
	WAFLogGroupPrefix = "aws-waf-logs-"
	// RateWindowSeconds is the rate rule's evaluation window.
	RateWindowSeconds = 300
)

// ManagedGroups are the AWS managed rule groups on the web ACL, in priority
// order after the rate rule. Both block (no count override): the signer's
// API takes small JSON bodies and short query strings, so none of their
// rules should match a legitimate call, and a rule that counts stops nothing.
// Amazon's IP reputation list is left out on purpose: it judges the
// connection's source IP and has no forwarded-IP setting, and behind the
// distribution that source is always CloudFront's VPC-origin interface, so
// it could never match a viewer.
var ManagedGroups = []string{RuleCommon, RuleKnownBadInputs}

// FirewallProps configures NewFirewall.
type FirewallProps struct {
	// Env is the validated environment (wafRateLimit, logRetentionDays).
	Env *config.Environment
	// LoadBalancer is the load balancer the web ACL is associated with.
	LoadBalancer awselasticloadbalancingv2.IApplicationLoadBalancer
}

// Firewall is the REGIONAL web ACL, its association and its log group.
type Firewall struct {
	constructs.Construct
	// WebACL is the web ACL.
	WebACL awswafv2.CfnWebACL
	// Logs receives the web ACL's logs (Authorization redacted).
	Logs awslogs.LogGroup
}

func visibility(metric string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
	return &awswafv2.CfnWebACL_VisibilityConfigProperty{
		CloudWatchMetricsEnabled: jsii.Bool(true),
		MetricName:               jsii.String(metric),
		SampledRequestsEnabled:   jsii.Bool(true),
	}
}

// NewFirewall builds the web ACL with the rate rule first, then
// ManagedGroups, associates it with the load balancer and logs it.
func NewFirewall(scope constructs.Construct, id string, props *FirewallProps) *Firewall {
	env := props.Env
	this := constructs.NewConstruct(scope, jsii.String(id))
	f := &Firewall{Construct: this}
	stack := awscdk.Stack_Of(this)

	rules := []any{&awswafv2.CfnWebACL_RuleProperty{
		Name:     jsii.String(RuleRateLimit),
		Priority: jsii.Number(0),
		Action:   &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{}},
		Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
			Limit:               jsii.Number(env.WAFRateLimit),
			EvaluationWindowSec: jsii.Number(RateWindowSeconds),
			AggregateKeyType:    jsii.String("FORWARDED_IP"),
			ForwardedIpConfig: &awswafv2.CfnWebACL_ForwardedIPConfigurationProperty{
				HeaderName: jsii.String(ViewerIPHeader),
				// Only CloudFront reaches the load balancer and its function
				// always sets a valid address; anything else counts as a match.
				FallbackBehavior: jsii.String("MATCH"),
			},
		}},
		VisibilityConfig: visibility(RuleRateLimit),
	}}
	for i, group := range ManagedGroups {
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name:           jsii.String(group),
			Priority:       jsii.Number(i + 1),
			OverrideAction: &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			Statement: &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
				VendorName: jsii.String("AWS"),
				Name:       jsii.String(group),
			}},
			VisibilityConfig: visibility(group),
		})
	}
	f.WebACL = awswafv2.NewCfnWebACL(this, jsii.String("WebACL"), &awswafv2.CfnWebACLProps{
		Scope:            jsii.String("REGIONAL"),
		Description:      jsii.String("s3presign " + env.Name + ": per-viewer-IP rate limit and AWS managed rules in front of the signer"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		Rules:            &rules,
		VisibilityConfig: visibility("s3presign-" + env.Name),
	})
	awswafv2.NewCfnWebACLAssociation(this, jsii.String("Association"), &awswafv2.CfnWebACLAssociationProps{
		ResourceArn: props.LoadBalancer.LoadBalancerArn(),
		WebAclArn:   f.WebACL.AttrArn(),
	})

	// WAF logs only to groups named aws-waf-logs-*: the stack's name keeps
	// it unique per environment without a fixed physical name.
	f.Logs = awslogs.NewLogGroup(this, jsii.String("Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(WAFLogGroupPrefix + *stack.StackName()),
		Retention:     service.Retention(env.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	awswafv2.NewCfnLoggingConfiguration(this, jsii.String("Logging"), &awswafv2.CfnLoggingConfigurationProps{
		ResourceArn: f.WebACL.AttrArn(),
		// WAF wants the group's ARN without the ":*" suffix.
		LogDestinationConfigs: &[]any{stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("logs"),
			Resource:     jsii.String("log-group"),
			ResourceName: f.Logs.LogGroupName(),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})},
		// API keys and bearer tokens never reach a log, and neither do the
		// caller-bound Uppy endpoint tokens, which travel in the path
		// (/uppy/<token>/s3/...).
		RedactedFields: &[]any{
			&awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{SingleHeader: map[string]any{"Name": "authorization"}},
			&awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{UriPath: map[string]any{}},
		},
	})
	return f
}
