package stacks_test

import (
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/edge"
	"github.com/s3presign/s3presign/infra/policy"
	"github.com/s3presign/s3presign/infra/service"
	"github.com/s3presign/s3presign/infra/stacks"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// AWS's managed CloudFront policies, by id.
const (
	cachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// euProd is a second production environment, named so the old literal
// "prod" checks would have missed it.
func euProd(t *testing.T) *synthesized {
	t.Helper()
	return synthCached(t, "eu-prod", func(e *config.Environment) {
		e.Name = "eu-prod"
		e.Production = true
		e.RemovalPolicy = config.RemovalRetain
		e.AllowedOrigins = []string{"https://app.example.eu"}
		e.AllowedReferers = []string{"https://app.example.eu/*"}
	})
}

// noWAF is dev with the web ACL switched off.
func noWAF(t *testing.T) *synthesized {
	t.Helper()
	return synthCached(t, "nowaf", func(e *config.Environment) {
		e.Name = "nowaf"
		e.WAFEnabled = false
	})
}

func TestEveryEnvironmentIsServedOverHTTPSThroughCloudFront(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		_, d := only(t, s.service, "AWS::CloudFront::Distribution")
		cfg := dig(props(d), "DistributionConfig").(map[string]any)
		b := cfg["DefaultCacheBehavior"].(map[string]any)
		if b["ViewerProtocolPolicy"] != "redirect-to-https" || b["CachePolicyId"] != cachingDisabled || b["OriginRequestPolicyId"] != allViewerExceptHostHeader {
			t.Errorf("%s: default behavior %s, want redirect-to-https, CachingDisabled, AllViewerExceptHostHeader", name, js(b))
		}
		if got := js(b["FunctionAssociations"]); !strings.Contains(got, `"EventType":"viewer-request"`) || !strings.Contains(got, "EdgeViewerIP") {
			t.Errorf("%s: function associations %s, want the viewer-IP function on viewer requests", name, got)
		}
		if n := len(asList(cfg["CacheBehaviors"])); n > 0 {
			t.Errorf("%s: %d extra cache behaviors: every route must take the uncached default", name, n)
		}
		_, fn := only(t, s.service, "AWS::CloudFront::Function")
		if code := props(fn)["FunctionCode"].(string); !strings.Contains(code, "request.headers['"+edge.ViewerIPHeader+"'] = { value: event.viewer.ip }") {
			t.Errorf("%s: function does not overwrite %s with the viewer's IP: %s", name, edge.ViewerIPHeader, code)
		}
		// The only origin is the VPC origin of the signer's load balancer.
		origins := cfg["Origins"].([]any)
		_, vo := only(t, s.service, "AWS::CloudFront::VpcOrigin")
		lbID, _ := only(t, s.service, "AWS::ElasticLoadBalancingV2::LoadBalancer")
		if len(origins) != 1 || dig(origins[0], "VpcOriginConfig") == nil || js(dig(props(vo), "VpcOriginEndpointConfig", "Arn")) != `{"Ref":"`+lbID+`"}` {
			t.Errorf("%s: origins %s, VPC origin %s: want one VPC origin on the load balancer", name, js(origins), js(props(vo)))
		}
		url := js(dig(s.service, "Outputs", stacks.OutputSignerURL, "Value"))
		if s.env.CustomDomain() {
			if url != `"https://`+s.env.DomainName+`"` || js(cfg["Aliases"]) != `["`+s.env.DomainName+`"]` ||
				dig(cfg, "ViewerCertificate", "MinimumProtocolVersion") != "TLSv1.2_2021" || dig(cfg, "ViewerCertificate", "AcmCertificateArn") != s.env.CertificateArn {
				t.Errorf("%s: URL %s, certificate %s: want https://%s on TLS 1.2+ with the ACM certificate", name, url, js(cfg["ViewerCertificate"]), s.env.DomainName)
			}
		} else if !strings.HasPrefix(url, `{"Fn::Join":["",["https://",{"Fn::GetAtt":["EdgeDistribution`) {
			t.Errorf("%s: signer URL %s, want https:// + the distribution's domain", name, url)
		}
		if ws := s.warnings[stacks.ServiceStackName(name)]; len(ws) != 0 {
			t.Errorf("%s: synth warnings %v", name, ws)
		}
	}
}

func TestLoadBalancerIsNotReachableFromTheInternet(t *testing.T) {
	all := map[string]*synthesized{"eu-prod": euProd(t)}
	for _, name := range envNames {
		all[name] = synthEnv(t, name)
	}
	for name, s := range all {
		lbID, lb := only(t, s.service, "AWS::ElasticLoadBalancingV2::LoadBalancer")
		if props(lb)["Scheme"] != "internal" {
			t.Errorf("%s: load balancer scheme %v, want internal", name, props(lb)["Scheme"])
		}
		ls := listeners(s)
		if len(ls) != 1 || ls[80] == nil || ls[80]["Protocol"] != "HTTP" || !strings.Contains(js(ls[80]["DefaultActions"]), `"Type":"forward"`) {
			t.Errorf("%s: listeners %s, want one HTTP listener for the VPC origin", name, js(ls))
		}
		for id, sg := range resources(s.service, "AWS::EC2::SecurityGroup") {
			for _, in := range asList(props(sg)["SecurityGroupIngress"]) {
				if c := dig(in, "CidrIp"); c == "0.0.0.0/0" || dig(in, "CidrIpv6") == "::/0" {
					t.Errorf("%s: %s admits the internet: %s", name, id, js(in))
				}
			}
		}
		var sg map[string]any
		for id, r := range resources(s.service, "AWS::EC2::SecurityGroup") {
			if strings.HasPrefix(id, "SignerLoadBalancerSecurityGroup") {
				sg = r
			}
		}
		if got := js(props(sg)["SecurityGroupIngress"]); !strings.Contains(got, `"CidrIp":"10.0.0.0/16"`) || !strings.Contains(got, `"FromPort":80`) {
			t.Errorf("%s: load balancer ingress %s, want port 80 from the VPC only", name, got)
		}
		attrs := js(props(lb)["LoadBalancerAttributes"])
		protected := strings.Contains(attrs, `{"Key":"deletion_protection.enabled","Value":"true"}`)
		if protected != s.env.Production {
			t.Errorf("%s (production %v): load balancer %s deletion protection %v", name, s.env.Production, lbID, protected)
		}
	}
	// The production setting, not the name, turns the guards on.
	if !*euProd(t).stacks.Service.TerminationProtection() || *synthEnv(t, "dev").stacks.Service.TerminationProtection() {
		t.Error("termination protection does not follow the production setting")
	}
}

func TestWebACLRateRuleManagedGroupsAndLogs(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		_, acl := only(t, s.service, "AWS::WAFv2::WebACL")
		p := props(acl)
		if p["Scope"] != "REGIONAL" || js(p["DefaultAction"]) != `{"Allow":{}}` {
			t.Errorf("%s: web ACL scope %v default %s", name, p["Scope"], js(p["DefaultAction"]))
		}
		rules := p["Rules"].([]any)
		if len(rules) != 1+len(edge.ManagedGroups) {
			t.Fatalf("%s: %d rules, want the rate rule and %v", name, len(rules), edge.ManagedGroups)
		}
		rate := dig(rules[0], "Statement", "RateBasedStatement")
		if dig(rules[0], "Name") != edge.RuleRateLimit || js(dig(rules[0], "Action")) != `{"Block":{}}` ||
			dig(rate, "Limit") != float64(s.env.WAFRateLimit) || dig(rate, "AggregateKeyType") != "FORWARDED_IP" ||
			dig(rate, "ForwardedIPConfig", "HeaderName") != edge.ViewerIPHeader {
			t.Errorf("%s: rate rule %s, want Block at %d per %s", name, js(rules[0]), s.env.WAFRateLimit, edge.ViewerIPHeader)
		}
		for i, g := range edge.ManagedGroups {
			r := rules[i+1]
			if dig(r, "Statement", "ManagedRuleGroupStatement", "Name") != g || js(dig(r, "OverrideAction")) != `{"None":{}}` {
				t.Errorf("%s: rule %d %s, want %s blocking (no count override)", name, i+1, js(r), g)
			}
		}
		_, assoc := only(t, s.service, "AWS::WAFv2::WebACLAssociation")
		lbID, _ := only(t, s.service, "AWS::ElasticLoadBalancingV2::LoadBalancer")
		if js(props(assoc)["ResourceArn"]) != `{"Ref":"`+lbID+`"}` {
			t.Errorf("%s: web ACL associated with %s, want the load balancer", name, js(props(assoc)["ResourceArn"]))
		}
		_, logging := only(t, s.service, "AWS::WAFv2::LoggingConfiguration")
		if got := js(props(logging)["RedactedFields"]); got != `[{"SingleHeader":{"Name":"authorization"}},{"UriPath":{}}]` {
			t.Errorf("%s: WAF logs redact %s, want the Authorization header and the URI path", name, got)
		}
		found := false
		for _, lg := range resources(s.service, "AWS::Logs::LogGroup") {
			if strings.HasPrefix(js(props(lg)["LogGroupName"]), `"`+edge.WAFLogGroupPrefix) {
				found = props(lg)["RetentionInDays"] == float64(s.env.LogRetentionDays)
			}
		}
		if !found {
			t.Errorf("%s: no %s* log group with %d days' retention", name, edge.WAFLogGroupPrefix, s.env.LogRetentionDays)
		}
	}
	// Control: the dev switch removes the web ACL and nothing else.
	off := noWAF(t)
	for _, typ := range []string{"AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation", "AWS::WAFv2::LoggingConfiguration"} {
		if n := len(resources(off.service, typ)); n != 0 {
			t.Errorf("wafEnabled false: %d %s", n, typ)
		}
	}
	if n := len(resources(off.service, "AWS::CloudFront::Distribution")); n != 1 {
		t.Errorf("wafEnabled false: %d distributions, want 1", n)
	}
}

func TestDeployedSignerAuthenticatesAndTrustsTwoHops(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		_, td := only(t, s.service, "AWS::ECS::TaskDefinition")
		vars := map[string]any{}
		for _, v := range asList(dig(asList(props(td)["ContainerDefinitions"])[0], "Environment")) {
			vars[dig(v, "Name").(string)] = dig(v, "Value")
		}
		if m := vars[sconfig.EnvAuthMode]; m == config.AuthNone || m == nil {
			t.Errorf("%s: signer auth mode %v", name, m)
		}
		if h := vars[sconfig.EnvTrustedProxyHops]; h != "2" {
			t.Errorf("%s: trusted proxy hops %v, want 2 (CloudFront, then the load balancer)", name, h)
		}
	}
}

func TestScanTagWriteDenyWhereScanningIsOn(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		st := statementBySid(bucketPolicyFor(t, s.storage, bucketLogicalID), policy.SidDenyScanTagWrites)
		if !s.env.MalwareScanning {
			if st != nil {
				t.Errorf("%s: scanning off, but a tag Deny %s", name, js(st))
			}
			continue
		}
		roleID, _ := scanRole(t, s)
		if st == nil || st["Effect"] != "Deny" || js(st["Principal"]) != `"*"` ||
			js(st["Action"]) != `["s3:DeleteObjectTagging","s3:DeleteObjectVersionTagging","s3:PutObjectTagging","s3:PutObjectVersionTagging"]` ||
			js(st["Condition"]) != `{"ArnNotEquals":{"aws:PrincipalArn":{"Fn::GetAtt":["`+roleID+`","Arn"]}}}` ||
			!strings.HasSuffix(js(st["Resource"]), `"/`+s.env.UploadPrefix+`*"]]}`) {
			t.Errorf("%s: tag Deny %s, want every tag write under the prefix denied except to %s", name, js(st), roleID)
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// subnetsWithInternetRoute returns the subnets whose route table sends
// traffic to an internet gateway: the public ones.
func subnetsWithInternetRoute(tmpl map[string]any) map[string]bool {
	igws := resources(tmpl, "AWS::EC2::InternetGateway")
	tables := map[string]bool{}
	for _, r := range resources(tmpl, "AWS::EC2::Route") {
		gw, _ := dig(props(r), "GatewayId", "Ref").(string)
		if _, ok := igws[gw]; ok {
			table, _ := dig(props(r), "RouteTableId", "Ref").(string)
			tables[table] = true
		}
	}
	out := map[string]bool{}
	for _, a := range resources(tmpl, "AWS::EC2::SubnetRouteTableAssociation") {
		table, _ := dig(props(a), "RouteTableId", "Ref").(string)
		subnet, _ := dig(props(a), "SubnetId", "Ref").(string)
		if tables[table] {
			out[subnet] = true
		}
	}
	return out
}

// CloudFront VPC origins reach load balancers in private subnets only: in
// every environment, with NAT or without, the load balancer's subnets have
// no route to an internet gateway.
func TestLoadBalancerSitsInPrivateSubnets(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		public := subnetsWithInternetRoute(s.service)
		subnets := resources(s.service, "AWS::EC2::Subnet")
		// Control: the detector finds the public subnets (the VPC has an
		// internet gateway, which VPC origins also need).
		if len(public) == 0 || len(public) == len(subnets) {
			t.Fatalf("%s: %d of %d subnets route to an internet gateway, want some but not all", name, len(public), len(subnets))
		}
		_, lb := only(t, s.service, "AWS::ElasticLoadBalancingV2::LoadBalancer")
		lbSubnets := asList(props(lb)["Subnets"])
		if len(lbSubnets) < 2 {
			t.Errorf("%s: load balancer in %d subnets, want one per zone (2)", name, len(lbSubnets))
		}
		for _, ref := range lbSubnets {
			id, _ := dig(ref, "Ref").(string)
			if _, ok := subnets[id]; !ok || public[id] || !strings.Contains(id, service.PrivateSubnetGroup) {
				t.Errorf("%s: load balancer subnet %s: want a private subnet of the VPC (public: %v)", name, js(ref), public[id])
			}
		}
		// Without NAT the private subnets are isolated: no route out at all.
		if s.env.NatGateways == 0 {
			for _, r := range resources(s.service, "AWS::EC2::Route") {
				if dig(props(r), "NatGatewayId") != nil {
					t.Errorf("%s (no NAT): route through a NAT gateway %s", name, js(props(r)))
				}
			}
		}
	}
}
