// Package edge is the signer's public front door: a CloudFront distribution
// (HTTPS only, caching off) whose only origin is the internal load balancer,
// reached through a CloudFront VPC origin, and an AWS WAF web ACL (per-IP
// rate rule and AWS managed rule groups) on that load balancer.
//
// Why a VPC origin: the load balancer is internal, so nothing on the
// internet can reach it except through the distribution; no secret header
// to rotate and no prefix-list lookup (which would need AWS credentials at
// synth). Why a REGIONAL web ACL on the load balancer rather than a
// CLOUDFRONT one: a CLOUDFRONT web ACL must live in a us-east-1 stack, so
// every environment would need a fixed region and CDK's cross-region
// references (Lambda-backed custom resources); dev and staging are
// deliberately region-agnostic. The web ACL keys its rate rule on the
// viewer's IP, which a CloudFront function writes into ViewerIPHeader on
// every request (a client cannot forge it: the function overwrites it).
package edge

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3presign/s3presign/infra/config"
)

// ViewerIPHeader carries the viewer's IP address from CloudFront to the load
// balancer, for the web ACL's rate rule. CloudFront's own X-Forwarded-For
// cannot serve: WAF reads its first entry, which the client chooses.
const ViewerIPHeader = "x-s3presign-viewer-ip"

// OriginPort is the load balancer's listener that the VPC origin calls.
const OriginPort = 80

// viewerIPFunction is the CloudFront function (JavaScript runtime 2.0) that
// writes ViewerIPHeader from the connection CloudFront itself saw.
const viewerIPFunction = `function handler(event) {
  var request = event.request;
  request.headers['` + ViewerIPHeader + `'] = { value: event.viewer.ip };
  return request;
}`

// EdgeProps configures NewEdge.
type EdgeProps struct {
	// Env is the validated environment.
	Env *config.Environment
	// LoadBalancer is the internal load balancer in front of the signer
	// tasks, listening on OriginPort.
	LoadBalancer awselasticloadbalancingv2.IApplicationLoadBalancer
}

// Edge is the distribution and, when the environment has it on, the web ACL.
type Edge struct {
	constructs.Construct
	// Distribution serves the signer over HTTPS.
	Distribution awscloudfront.Distribution
	// URL is the signer's base URL: https://domainName, or the
	// distribution's https://<id>.cloudfront.net.
	URL *string
	// Firewall is the web ACL on the load balancer; nil when wafEnabled is false.
	Firewall *Firewall
}

// NewEdge builds the distribution in front of props.LoadBalancer and the web
// ACL (wafEnabled).
func NewEdge(scope constructs.Construct, id string, props *EdgeProps) *Edge {
	env := props.Env
	this := constructs.NewConstruct(scope, jsii.String(id))
	e := &Edge{Construct: this}

	stamp := awscloudfront.NewFunction(this, jsii.String("ViewerIP"), &awscloudfront.FunctionProps{
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(viewerIPFunction)),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Comment: jsii.String("s3presign " + env.Name + ": the viewer's IP for the web ACL's rate rule"),
	})
	origin := awscloudfrontorigins.VpcOrigin_WithApplicationLoadBalancer(props.LoadBalancer, &awscloudfrontorigins.VpcOriginWithEndpointProps{
		ProtocolPolicy: awscloudfront.OriginProtocolPolicy_HTTP_ONLY,
		HttpPort:       jsii.Number(OriginPort),
	})
	dp := &awscloudfront.DistributionProps{
		Comment: jsii.String("s3presign " + env.Name + " signer"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:               origin,
			ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
			// Every answer is per caller and holds fresh presigned URLs:
			// nothing may be cached.
			CachePolicy: awscloudfront.CachePolicy_CACHING_DISABLED(),
			// CloudFront refuses an origin request policy of our own that
			// forwards Authorization (it must be in the cache key, and a
			// cache key needs caching on); with caching off, AWS's managed
			// AllViewerExceptHostHeader policy is the way to pass it, with
			// Origin, Content-Type, the CORS preflight headers and the query.
			OriginRequestPolicy: awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
				Function:  stamp,
				EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
			}},
		},
		HttpVersion: awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:  awscloudfront.PriceClass_PRICE_CLASS_100,
		EnableIpv6:  jsii.Bool(true),
	}
	if env.CustomDomain() {
		dp.Certificate = awscertificatemanager.Certificate_FromCertificateArn(this, jsii.String("Certificate"), jsii.String(env.CertificateArn))
		dp.DomainNames = jsii.Strings(env.DomainName)
		// TLS 1.2 or later. With the default *.cloudfront.net certificate
		// AWS fixes the policy itself and this setting has no effect.
		dp.MinimumProtocolVersion = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021
	}
	e.Distribution = awscloudfront.NewDistribution(this, jsii.String("Distribution"), dp)
	e.URL = jsii.String("https://" + *e.Distribution.DistributionDomainName())
	if env.CustomDomain() {
		e.URL = jsii.String("https://" + env.DomainName)
	}
	e.suppressFindings(env)

	if env.WAFEnabled {
		e.Firewall = NewFirewall(this, "Firewall", &FirewallProps{Env: env, LoadBalancer: props.LoadBalancer})
	}
	return e
}

// suppressFindings records why the distribution's cdk-nag findings do not apply.
func (e *Edge) suppressFindings(env *config.Environment) {
	sup := []*cdknag.NagPackSuppression{
		{
			Id: jsii.String("AwsSolutions-CFR1"),
			Reason: jsii.String("The signer serves callers wherever they are; who may ask is decided by authentication (API keys or OIDC), " +
				"and abuse is limited by the web ACL's per-IP rate rule, not by country."),
		},
		{
			Id: jsii.String("AwsSolutions-CFR2"),
			Reason: jsii.String("The web ACL is a REGIONAL one on the load balancer (the distribution's only origin, reachable only through it), " +
				"keyed on the viewer IP the distribution's function stamps: a CLOUDFRONT web ACL would need a us-east-1 stack and cross-region references, " +
				"which region-agnostic environments cannot have. wafEnabled false (dev only) drops it."),
		},
		{
			Id: jsii.String("AwsSolutions-CFR3"),
			Reason: jsii.String("Requests are logged by the load balancer's access logs (every request reaches it: caching is off) and the web ACL's logs; " +
				"CloudFront standard logs would need ACLs on the access-log bucket, which has them disabled (bucket owner enforced)."),
		},
	}
	if !env.CustomDomain() {
		sup = append(sup, &cdknag.NagPackSuppression{
			Id: jsii.String("AwsSolutions-CFR4"),
			Reason: jsii.String("Without a custom domain the distribution uses CloudFront's default *.cloudfront.net certificate, whose security policy AWS fixes " +
				"(minimumProtocolVersion applies only with a certificate of your own); setting domainName and certificateArn makes it TLS 1.2 (TLSv1.2_2021)."),
		})
	}
	cdknag.NagSuppressions_AddResourceSuppressions(e.Distribution, &sup, jsii.Bool(true))
}
