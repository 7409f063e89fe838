package monitoring

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/config"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// metrics are the metrics and expressions the alarms and widgets share.
type metrics struct {
	requests, refused, latencyP50, latencyP99       awscloudwatch.IMetric
	refusedByCode, issuedByOp, latencyByRoute       awscloudwatch.IMetric
	albRequests, elb5xx, target5xx, serverErrorRate awscloudwatch.IMetric
	healthy, unhealthy, uploads                     awscloudwatch.IMetric
	infected, scanned                               awscloudwatch.IMetric // nil without scanning
	keyReloadFailures                               awscloudwatch.IMetric // nil unless authMode is apikey
}

// signerMetric is one of the signer's EMF metrics, environment-wide (the
// rollup dimension set the signer writes on every line).
func signerMetric(env *config.Environment, name, stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(sconfig.DefaultMetricsNamespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{sconfig.DimEnvironment: jsii.String(env.Name)},
		Statistic:     jsii.String(stat),
		Period:        period,
		Label:         jsii.String(label),
	})
}

// search is a SEARCH expression over one of the signer's EMF metrics split
// by a dimension (one line per code, operation or route). Dashboards only:
// alarms cannot watch a SEARCH.
func search(env *config.Environment, metric, dim, stat, label string) awscloudwatch.IMetric {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(fmt.Sprintf(`SEARCH('{%s,%s,%s} MetricName="%s" %s="%s"', '%s', 60)`,
			sconfig.DefaultMetricsNamespace, sconfig.DimEnvironment, dim, metric, sconfig.DimEnvironment, env.Name, stat)),
		UsingMetrics: &map[string]awscloudwatch.IMetric{},
		Label:        jsii.String(label),
		Period:       oneMinute,
	})
}

func newMetrics(env *config.Environment, p *MonitoringProps, uploads awsevents.CfnRule) *metrics {
	sum := func(label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: oneMinute, Label: jsii.String(label)}
	}
	m := &metrics{
		requests:       signerMetric(env, sconfig.MetricRequests, "Sum", "Requests (signer)", oneMinute),
		refused:        signerMetric(env, sconfig.MetricRefused, "Sum", "Refused requests", fiveMinutes),
		latencyP50:     signerMetric(env, sconfig.MetricLatency, "p50", "p50", fiveMinutes),
		latencyP99:     signerMetric(env, sconfig.MetricLatency, "p99", "p99", fiveMinutes),
		refusedByCode:  search(env, sconfig.MetricRefused, sconfig.DimCode, "Sum", ""),
		issuedByOp:     search(env, sconfig.MetricURLsIssued, sconfig.DimOperation, "Sum", ""),
		latencyByRoute: search(env, sconfig.MetricLatency, sconfig.DimRoute, "p99", ""),
		albRequests:    p.LoadBalancer.Metrics().RequestCount(sum("ALB requests")),
		elb5xx:         p.LoadBalancer.Metrics().HttpCodeElb(awselasticloadbalancingv2.HttpCodeElb_ELB_5XX_COUNT, sum("5xx from the load balancer")),
		target5xx:      p.LoadBalancer.Metrics().HttpCodeTarget(awselasticloadbalancingv2.HttpCodeTarget_TARGET_5XX_COUNT, sum("5xx from the signer")),
		healthy: p.TargetGroup.Metrics().HealthyHostCount(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Minimum"), Period: oneMinute, Label: jsii.String("Healthy tasks"),
		}),
		unhealthy: p.TargetGroup.Metrics().UnhealthyHostCount(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: oneMinute, Label: jsii.String("Unhealthy tasks"),
		}),
		uploads: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String("AWS/Events"),
			MetricName:    jsii.String("Invocations"),
			DimensionsMap: &map[string]*string{"RuleName": uploads.Ref()},
			Statistic:     jsii.String("Sum"),
			Period:        oneMinute,
			Label:         jsii.String("Uploads created"),
		}),
	}
	m.serverErrorRate = awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{"elb5xx": m.elb5xx, "target5xx": m.target5xx, "requests": m.albRequests},
		Label:        jsii.String("5xx % of requests"),
		Period:       oneMinute,
	})
	if p.MalwarePlanID != nil {
		dims := &map[string]*string{DimPlanID: p.MalwarePlanID, DimResourceName: p.Bucket.BucketName()}
		m.infected = awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(GuardDutyNamespace), MetricName: jsii.String(MetricInfectedScans), DimensionsMap: dims,
			Statistic: jsii.String("Sum"), Period: fiveMinutes, Label: jsii.String("Threats found"),
		})
		m.scanned = awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(GuardDutyNamespace), MetricName: jsii.String(MetricTotalScans), DimensionsMap: dims,
			Statistic: jsii.String("Sum"), Period: fiveMinutes, Label: jsii.String("Objects scanned"),
		})
	}
	if env.AuthMode == config.AuthAPIKey {
		m.keyReloadFailures = awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:  jsii.String(sconfig.DefaultMetricsNamespace),
			MetricName: jsii.String(sconfig.MetricAPIKeyReloads),
			DimensionsMap: &map[string]*string{
				sconfig.DimEnvironment: jsii.String(env.Name),
				sconfig.DimResult:      jsii.String(sconfig.ReloadFailed),
			},
			Statistic: jsii.String("Sum"),
			Period:    fiveMinutes,
			Label:     jsii.String("Failed API-key reloads"),
		})
	}
	return m
}
