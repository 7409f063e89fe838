package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Limits enforced by validate. They mirror AWS limits or the signer's own.
const (
	// MaxSingleUpload is S3's limit for one PUT (5 GiB).
	MaxSingleUpload int64 = 5 << 30
	// MaxURLLifetime is SigV4's limit for X-Amz-Expires (7 days).
	MaxURLLifetime = 7 * 24 * time.Hour
	// MaxTasks bounds desiredCount and maxCount.
	MaxTasks = 100
	// MinWAFRateLimit and MaxWAFRateLimit are AWS WAF's bounds of a rate-based
	// rule's limit (requests per 5 minutes).
	MinWAFRateLimit, MaxWAFRateLimit = 10, 2_000_000_000
)

// LogRetentionValues are the retention periods CloudWatch Logs accepts, in days.
var LogRetentionValues = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// fargateMemory lists the memory sizes (MiB) Fargate accepts per CPU size.
var fargateMemory = map[int][]int{
	256:  {512, 1024, 2048},
	512:  {1024, 2048, 3072, 4096},
	1024: {2048, 3072, 4096, 5120, 6144, 7168, 8192},
	2048: steps(4096, 16384, 1024),
	4096: steps(8192, 30720, 1024),
}

func steps(from, to, by int) []int {
	var out []int
	for v := from; v <= to; v += by {
		out = append(out, v)
	}
	return out
}

var (
	nameRE      = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	prefixRE    = regexp.MustCompile(`^[A-Za-z0-9!_.'()/-]+/$`)
	mediaTypeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*(=[a-z0-9]+(\|[a-z0-9]+)*)?$`)
	certRE      = regexp.MustCompile(`^arn:aws[a-z-]*:acm:([a-z0-9-]+):[0-9]{12}:certificate/[A-Za-z0-9-]+$`)
	principalRE = regexp.MustCompile(`^arn:aws[a-z-]*:(iam|sts)::([0-9]{12}|\*):\S+$`)
	hostRE      = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("environment name must match %s (it becomes part of stack names)", nameRE)
	}
	return nil
}

// validate returns every problem of e, each prefixed with its key path. Each
// concern has its own function; they run in a fixed order, so the report
// lists problems in the order of the settings table.
func validate(e Environment) []error {
	p := &problems{env: e.Name}
	for _, check := range []func(*problems, Environment){
		validatePlacement, validateAccess, validateUploads, validateAuth,
		validateCompute, validateEdge, validateDataAndNetwork,
		validateMonitoring, validateNotify,
	} {
		check(p, e)
	}
	return p.errs
}

// problems collects the problems of one environment, each prefixed with the
// environment's name and the key path.
type problems struct {
	env  string
	errs []error
}

// bad records a problem of key.
func (p *problems) bad(key, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s.%s: %s", p.env, key, fmt.Sprintf(format, args...)))
}

// oneOf records a problem unless got is one of want.
func (p *problems) oneOf(key, got string, want ...string) {
	if !slices.Contains(want, got) {
		p.bad(key, "must be one of %s, got %q", strings.Join(want, ", "), got)
	}
}

// lifetime records a problem unless d is a URL lifetime SigV4 accepts in
// whole seconds, and reports whether it is.
func (p *problems) lifetime(key string, d time.Duration) bool {
	switch {
	case d < time.Second || d > MaxURLLifetime:
		p.bad(key, "must be between 1s and 168h (7 days), got %s", d)
	case d%time.Second != 0:
		p.bad(key, "must be a whole number of seconds, got %s", d)
	default:
		return true
	}
	return false
}

// validatePlacement checks the account, region and availability zones.
func validatePlacement(p *problems, e Environment) {
	if e.Account != "" && !accountRE.MatchString(e.Account) {
		p.bad("account", "must be a 12-digit AWS account id, got %q", e.Account)
	}
	if e.Region != "" && !regionRE.MatchString(e.Region) {
		p.bad("region", "must be an AWS region such as eu-west-1, got %q", e.Region)
	}
	if (e.Account == "") != (e.Region == "") {
		p.bad("region", "set both account and region, or neither (environment-agnostic synth)")
	}
	if n := len(e.AvailabilityZones); n == 1 {
		p.bad("availabilityZones", "an Application Load Balancer needs at least 2 zones, got 1")
	}
	for i, az := range e.AvailabilityZones {
		if e.Region == "" {
			p.bad("availabilityZones", "needs region to be set")
			break
		}
		if !strings.HasPrefix(az, e.Region) || len(az) != len(e.Region)+1 {
			p.bad(fmt.Sprintf("availabilityZones[%d]", i), "must be a zone of %s such as %sa, got %q", e.Region, e.Region, az)
		}
	}
}

// validateAccess checks who may reach the bucket: page origins, referers and
// the principals exempt from the bucket policy's denies.
func validateAccess(p *problems, e Environment) {
	for i, o := range e.AllowedOrigins {
		if err := checkOrigin(o, e.IsProd()); err != nil {
			p.bad(fmt.Sprintf("allowedOrigins[%d]", i), "%v", err)
		} else if err := checkCredentialsOverHTTP(o, e.AuthMode); err != nil {
			p.bad(fmt.Sprintf("allowedOrigins[%d]", i), "%v", err)
		}
	}
	for i, r := range e.AllowedReferers {
		if err := checkReferer(r); err != nil {
			p.bad(fmt.Sprintf("allowedReferers[%d]", i), "%v", err)
		}
	}
	for i, arn := range e.ExemptPrincipalArns {
		if !principalRE.MatchString(arn) {
			p.bad(fmt.Sprintf("exemptPrincipalArns[%d]", i), "must be an IAM or STS principal ARN (wildcards allowed), such as arn:aws:iam::123456789012:role/backup, got %q", arn)
		}
	}
}

// validateUploads checks what may be uploaded: the key prefix, the content
// types, the size limit and the URL lifetimes.
func validateUploads(p *problems, e Environment) {
	switch {
	case e.UploadPrefix == "":
		p.bad("uploadPrefix", "must not be empty: the signer's rights are scoped to it")
	case strings.HasPrefix(e.UploadPrefix, "/") || strings.Contains(e.UploadPrefix, "//") || slices.Contains(strings.Split(e.UploadPrefix, "/"), ".."):
		p.bad("uploadPrefix", "must not start with \"/\" nor contain \"//\" or \"..\", got %q", e.UploadPrefix)
	case len(e.UploadPrefix) > 256:
		p.bad("uploadPrefix", "must be at most 256 characters")
	case !prefixRE.MatchString(e.UploadPrefix):
		p.bad("uploadPrefix", "must end with \"/\" and use only letters, digits and !_.'()/- (no * or ?: they are IAM wildcards), got %q", e.UploadPrefix)
	}

	if len(e.AllowedTypes) == 0 {
		p.bad("allowedTypes", "must list at least one content type")
	}
	for i, t := range e.AllowedTypes {
		if !mediaTypeRE.MatchString(t) {
			p.bad(fmt.Sprintf("allowedTypes[%d]", i), "must be a lower-case type/subtype such as image/png, or one with its extensions such as text/markdown=md|markdown, got %q", t)
		}
	}

	if e.MaxSize < 1 || e.MaxSize > MaxSingleUpload {
		p.bad("maxSize", "must be between 1 byte and 5 GiB (%d), got %d", MaxSingleUpload, e.MaxSize)
	}
	okDefault := p.lifetime("defaultExpiry", e.DefaultExpiry)
	okMax := p.lifetime("maxExpiry", e.MaxExpiry)
	if okDefault && okMax && e.DefaultExpiry > e.MaxExpiry {
		p.bad("defaultExpiry", "must not exceed maxExpiry (%s), got %s", e.MaxExpiry, e.DefaultExpiry)
	}
}

// validateAuth checks how the signer signs and authenticates callers, and
// the compat routes' choices.
func validateAuth(p *problems, e Environment) {
	p.oneOf("signing", e.Signing, SigningRole, SigningUser)
	p.oneOf("authMode", e.AuthMode, AuthNone, AuthAPIKey, AuthOIDC)
	if e.AuthMode == AuthNone {
		p.bad("authMode", "\"none\" is refused for every deployed environment: anyone on the internet could get upload and download URLs; "+
			"set \"apikey\" (keys made with `signer apikey new NAME`, hashes in the environment's API-key secret) or \"oidc\"; "+
			"only the local stack (make run) runs without authentication")
	}
	if e.AuthMode == AuthOIDC {
		if u, err := url.Parse(e.OIDCIssuer); e.OIDCIssuer == "" || err != nil || u.Scheme != "https" || u.Host == "" {
			p.bad("oidcIssuer", "must be the issuer's https URL when authMode is oidc, got %q", e.OIDCIssuer)
		}
		if e.OIDCAudience == "" {
			p.bad("oidcAudience", "must be set when authMode is oidc")
		}
	}
	p.oneOf("compatOverwrite", e.CompatOverwrite, OverwriteAllow, OverwriteRefuse)
	p.oneOf("compatUnsized", e.CompatUnsized, UnsizedAllow, UnsizedRefuse)
}

// validateCompute checks the Fargate tasks: count, size and architecture.
func validateCompute(p *problems, e Environment) {
	if e.DesiredCount < 1 || e.DesiredCount > MaxTasks {
		p.bad("desiredCount", "must be between 1 and %d, got %d", MaxTasks, e.DesiredCount)
	}
	if e.MaxCount < e.DesiredCount || e.MaxCount > MaxTasks {
		p.bad("maxCount", "must be between desiredCount (%d) and %d, got %d", e.DesiredCount, MaxTasks, e.MaxCount)
	}
	if mem, ok := fargateMemory[e.CPU]; !ok {
		p.bad("cpu", "must be a Fargate CPU size (256, 512, 1024, 2048, 4096), got %d", e.CPU)
	} else if !slices.Contains(mem, e.MemoryMiB) {
		p.bad("memoryMiB", "must be one of %v with cpu %d, got %d", mem, e.CPU, e.MemoryMiB)
	}

	p.oneOf("cpuArchitecture", e.CPUArchitecture, ArchX86_64, ArchARM64)
}

// validateEdge checks the CloudFront name, its certificate and the WAF.
func validateEdge(p *problems, e Environment) {
	if e.CertificateArn != "" {
		m := certRE.FindStringSubmatch(e.CertificateArn)
		switch {
		case m == nil:
			p.bad("certificateArn", "must be an ACM certificate ARN, got %q", e.CertificateArn)
		case m[1] != CloudFrontCertificateRegion:
			p.bad("certificateArn", "must be a certificate in %s (CloudFront takes viewer certificates from there only, whatever the stack's region), got region %s; request or import it in %s",
				CloudFrontCertificateRegion, m[1], CloudFrontCertificateRegion)
		}
		if e.DomainName == "" {
			p.bad("domainName", "must be set when certificateArn is: the certificate names it and the URL output uses it")
		}
	}
	if e.DomainName != "" {
		if !hostRE.MatchString(e.DomainName) {
			p.bad("domainName", "must be a lower-case DNS name such as signer.example.com, got %q", e.DomainName)
		}
		if e.CertificateArn == "" {
			p.bad("domainName", "needs certificateArn (an ACM certificate in %s covering %s): CloudFront serves a custom name only with its certificate; "+
				"or leave domainName empty to use the distribution's https://<id>.cloudfront.net URL", CloudFrontCertificateRegion, e.DomainName)
		}
	}
	if e.WAFRateLimit < MinWAFRateLimit || e.WAFRateLimit > MaxWAFRateLimit {
		p.bad("wafRateLimit", "must be between %d and %d requests per client IP per 5 minutes (AWS WAF's limits), got %d", MinWAFRateLimit, MaxWAFRateLimit, e.WAFRateLimit)
	}
	if e.IsProd() && !e.WAFEnabled {
		p.bad("wafEnabled", "false is refused in a production environment: the web ACL is the only limit across all tasks; set it to true (or remove the key)")
	}
}

// validateDataAndNetwork checks the NAT gateways and how long data and logs
// are kept: versions, access logs, log retention, encryption and removal.
func validateDataAndNetwork(p *problems, e Environment) {
	if e.NatGateways < 0 || e.NatGateways > 3 {
		p.bad("natGateways", "must be between 0 (public subnets, cheapest) and 3, got %d", e.NatGateways)
	}
	if e.NoncurrentVersionExpiryDays < 1 || e.NoncurrentVersionExpiryDays > 3650 {
		p.bad("noncurrentVersionExpiryDays", "must be between 1 and 3650, got %d", e.NoncurrentVersionExpiryDays)
	}
	if e.AccessLogExpiryDays < 1 || e.AccessLogExpiryDays > 3650 {
		p.bad("accessLogExpiryDays", "must be between 1 and 3650, got %d", e.AccessLogExpiryDays)
	}
	if !slices.Contains(LogRetentionValues, e.LogRetentionDays) {
		p.bad("logRetentionDays", "must be one of CloudWatch's values %v, got %d", LogRetentionValues, e.LogRetentionDays)
	}
	p.oneOf("encryption", e.Encryption, EncryptionS3, EncryptionKMS)
	p.oneOf("removalPolicy", e.RemovalPolicy, RemovalRetain, RemovalDestroy)
	if e.IsProd() && e.RemovalPolicy == RemovalDestroy {
		p.bad("removalPolicy", "\"destroy\" is refused in a production environment: deleting the stack must not delete the uploads; set \"retain\"")
	}
}

// checkOrigin accepts an exact origin, scheme://host[:port]. Wildcards are
// refused: the same list configures the signer's own CORS, which takes exact
// origins only, and a wildcard origin would let any site drive uploads.
func checkOrigin(o string, prod bool) error {
	if strings.Contains(o, "*") {
		return fmt.Errorf("wildcards are not accepted: list each page origin, got %q", o)
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" {
		return fmt.Errorf("must be an origin such as https://app.example.com (scheme, host, optional port; no path or trailing slash), got %q", o)
	}
	if prod && u.Scheme != "https" {
		return fmt.Errorf("must use https in a production environment, got %q", o)
	}
	return nil
}

// checkCredentialsOverHTTP refuses a plain-HTTP page origin when callers
// authenticate: such a page carries its API key or token in clear to and
// from the browser, where anyone on the path can read or swap it. Loopback
// pages (a developer's own machine, what browsers treat as a secure context)
// cross no network and stay allowed.
func checkCredentialsOverHTTP(o, authMode string) error {
	u, err := url.Parse(o)
	if err != nil || u.Scheme != "http" || authMode == AuthNone || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("a plain-HTTP page origin is refused with authMode %q: the page would carry its API key or token unencrypted; "+
		"serve the page over https (%q), or use a loopback origin such as http://127.0.0.1:8081 for local pages", authMode, "https://"+u.Host)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkReferer accepts an aws:Referer pattern: an http(s) URL, "*" and "?"
// allowed as IAM wildcards, no spaces.
func checkReferer(r string) error {
	if !(strings.HasPrefix(r, "https://") || strings.HasPrefix(r, "http://")) || len(r) <= len("https://") || strings.ContainsAny(r, " \t\n") {
		return fmt.Errorf("must be a page URL pattern such as https://app.example.com/*, got %q", r)
	}
	return nil
}
