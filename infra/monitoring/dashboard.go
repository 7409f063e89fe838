package monitoring

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3presign/s3presign/infra/config"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// Widget titles, in dashboard order (tests find widgets by them).
const (
	TitleRequests     = "Requests per minute"
	TitleRefusals     = "Refusals by code"
	TitleLatency      = "Signer latency (ms)"
	TitleServerErrors = "ALB 5xx"
	TitleTasks        = "Signer tasks (target health)"
	TitleUploads      = "Uploads created and URLs issued"
	TitleAlarms       = "Alarms"
	TitleRoutes       = "p99 latency by route (ms)"
	TitleMalware      = "Malware scans"
)

// Widget sizes: the dashboard grid is 24 units wide.
const (
	third  = 8
	height = 6
)

// dashboard lays the environment out in rows of three graphs:
//
//	row 1: requests | refusals by code | latency p50/p99
//	row 2: ALB 5xx (count and % with its alarm line) | healthy/unhealthy tasks | uploads created + URLs issued by operation
//	row 3: alarm status (all alarms) | p99 by route | malware scans (when scanning is on)
func dashboard(scope constructs.Construct, env *config.Environment, mt *metrics, m *Monitoring) awscloudwatch.Dashboard {
	d := awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{})
	graph := func(title string, left, right []awscloudwatch.IMetric, annotations ...*awscloudwatch.HorizontalAnnotation) awscloudwatch.IWidget {
		props := &awscloudwatch.GraphWidgetProps{
			Title:  jsii.String(title),
			Left:   &left,
			Width:  jsii.Number(third),
			Height: jsii.Number(height),
		}
		if len(right) > 0 {
			props.Right = &right
		}
		if len(annotations) > 0 {
			props.LeftAnnotations = &annotations
		}
		return awscloudwatch.NewGraphWidget(props)
	}
	line := func(label string, v int) *awscloudwatch.HorizontalAnnotation {
		return &awscloudwatch.HorizontalAnnotation{Label: jsii.String(label), Value: jsii.Number(v)}
	}

	d.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String(fmt.Sprintf("# s3presign %s\nSigner metrics are the EMF lines of the signer (namespace `%s`, dimension `%s=%s`), flushed every minute. "+
			"Refusals are requests answered with an error code; uploads are S3 \"Object Created\" events under `%s`.",
			env.Name, sconfig.DefaultMetricsNamespace, sconfig.DimEnvironment, env.Name, env.UploadPrefix)),
		Width:  jsii.Number(24),
		Height: jsii.Number(2),
	}))
	d.AddWidgets(
		graph(TitleRequests, []awscloudwatch.IMetric{mt.requests, mt.albRequests}, nil),
		graph(TitleRefusals, []awscloudwatch.IMetric{mt.refusedByCode}, nil),
		graph(TitleLatency, []awscloudwatch.IMetric{mt.latencyP50, mt.latencyP99}, nil, line("p99 alarm", env.AlarmLatencyP99Ms)),
	)
	d.AddWidgets(
		graph(TitleServerErrors, []awscloudwatch.IMetric{mt.elb5xx, mt.target5xx}, []awscloudwatch.IMetric{mt.serverErrorRate}),
		graph(TitleTasks, []awscloudwatch.IMetric{mt.healthy, mt.unhealthy}, nil),
		graph(TitleUploads, []awscloudwatch.IMetric{mt.uploads}, []awscloudwatch.IMetric{mt.issuedByOp}),
	)
	alarms := make([]interfacesawscloudwatch.IAlarmRef, 0, len(m.Alarms))
	for _, id := range AlarmIDs(env) {
		alarms = append(alarms, m.Alarms[id])
	}
	row := []awscloudwatch.IWidget{
		awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title:  jsii.String(TitleAlarms),
			Alarms: &alarms,
			Width:  jsii.Number(third),
			Height: jsii.Number(height),
		}),
		graph(TitleRoutes, []awscloudwatch.IMetric{mt.latencyByRoute}, nil),
	}
	if mt.infected != nil {
		row = append(row, graph(TitleMalware, []awscloudwatch.IMetric{mt.infected}, []awscloudwatch.IMetric{mt.scanned}))
	}
	d.AddWidgets(row...)
	return d
}
