package service

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3presign/s3presign/infra/config"
)

// VPCCIDR is the VPC's address range, a literal so the load balancer's
// security group can name it (cdk-nag cannot read a token).
const VPCCIDR = "10.0.0.0/16"

// PrivateSubnetGroup names the VPC's private subnets: the internal load
// balancer lives there in every environment, because CloudFront VPC origins
// only reach load balancers in private subnets.
const PrivateSubnetGroup = "private"

// newVPC builds a two-zone VPC with public and private subnets. The private
// ones hold the internal load balancer. With natGateways 0 (the cheap choice)
// they are isolated (no route out, free) and tasks run in the public subnets
// with a public IP (their security group still admits only the load
// balancer), so they reach ECR, Secrets Manager and CloudWatch Logs without
// NAT; with 1+ the private subnets get NAT egress and tasks run there with no
// public IP. The public subnets also give the VPC the internet gateway that
// CloudFront VPC origins require. An S3 gateway endpoint (free) keeps the
// signer's own S3 calls inside AWS either way.
func newVPC(scope constructs.Construct, env *config.Environment, props *ServiceProps) awsec2.Vpc {
	private := awsec2.SubnetType_PRIVATE_ISOLATED
	if env.NatGateways > 0 {
		private = awsec2.SubnetType_PRIVATE_WITH_EGRESS
	}
	subnets := []*awsec2.SubnetConfiguration{{
		Name:       jsii.String("public"),
		SubnetType: awsec2.SubnetType_PUBLIC,
		CidrMask:   jsii.Number(24),
	}, {
		Name:       jsii.String(PrivateSubnetGroup),
		SubnetType: private,
		CidrMask:   jsii.Number(22),
	}}
	vpcProps := &awsec2.VpcProps{
		IpAddresses:         awsec2.IpAddresses_Cidr(jsii.String(VPCCIDR)),
		NatGateways:         jsii.Number(env.NatGateways),
		SubnetConfiguration: &subnets,
		GatewayEndpoints: &map[string]*awsec2.GatewayVpcEndpointOptions{
			"S3": {Service: awsec2.GatewayVpcEndpointAwsService_S3()},
		},
	}
	if len(env.AvailabilityZones) > 0 {
		vpcProps.AvailabilityZones = jsii.Strings(env.AvailabilityZones...)
	} else {
		vpcProps.MaxAzs = jsii.Number(2)
	}
	vpc := awsec2.NewVpc(scope, jsii.String("Vpc"), vpcProps)

	if env.VPCFlowLogs {
		vpc.AddFlowLog(jsii.String("FlowLogs"), &awsec2.FlowLogOptions{
			Destination: awsec2.FlowLogDestination_ToS3(props.LogBucket, props.FlowLogPrefix, nil),
			TrafficType: awsec2.FlowLogTrafficType_ALL,
		})
	} else {
		cdknag.NagSuppressions_AddResourceSuppressions(vpc, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-VPC7"),
			Reason: jsii.String("Flow logs are a per-environment cost choice (vpcFlowLogs in cdk.json), off in this environment; the VPC holds only the load balancer and the signer tasks."),
		}}, jsii.Bool(false))
	}
	return vpc
}

// retentions maps config.LogRetentionValues to the CDK's enum.
var retentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// Retention returns the CDK retention for a validated number of days.
func Retention(days int) awslogs.RetentionDays {
	r, ok := retentions[days]
	if !ok {
		panic("service: logRetentionDays not validated by infra/config")
	}
	return r
}
