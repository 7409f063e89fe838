// Package config holds the per-environment settings of the CDK app, read from
// the "environments" object of cdk.json's context and validated once, with
// every problem reported at once.
//
// It is pure Go (no jsii) so that the local stack (infra/devtools/local) and the pure
// policy package can use the very same settings as the deployed stacks.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ContextKey is the cdk.json context key that holds one object per environment.
const ContextKey = "environments"

// EnvContextKey is the context key that picks the environment (`-c env=prod`).
const EnvContextKey = "env"

// CloudFrontCertificateRegion is where ACM certificates for CloudFront live:
// a distribution takes its viewer certificate from us-east-1 only.
const CloudFrontCertificateRegion = "us-east-1"

// Signing modes: who signs the URLs.
const (
	// SigningRole signs with the ECS task role's temporary credentials. URLs
	// die when those credentials expire (hours), whatever their X-Amz-Expires.
	SigningRole = "role"
	// SigningUser signs with an IAM user's access key kept in Secrets Manager,
	// for URLs that must live up to 7 days.
	SigningUser = "user"
)

// Auth modes: who may ask the signer for URLs.
const (
	// AuthNone lets anyone ask. Refused for every deployed environment; only
	// the local stack (infra/devtools/local) runs the signer this way.
	AuthNone = "none"
	// AuthAPIKey checks API keys whose hashes live in a Secrets Manager secret.
	AuthAPIKey = "apikey"
	// AuthOIDC verifies bearer JWTs against an issuer's JWKS.
	AuthOIDC = "oidc"
)

// Encryption modes of the upload bucket.
const (
	// EncryptionS3 uses S3-managed keys (SSE-S3).
	EncryptionS3 = "s3"
	// EncryptionKMS creates a customer-managed KMS key (SSE-KMS, rotation on).
	EncryptionKMS = "kms"
)

// Removal policies of stateful resources.
const (
	// RemovalRetain keeps the bucket, log bucket, key and secrets when the stack is deleted.
	RemovalRetain = "retain"
	// RemovalDestroy deletes them with the stack (a non-empty bucket makes the delete fail).
	RemovalDestroy = "destroy"
)

// Compat overwrite settings of the original API's upload route.
const (
	// OverwriteAllow lets a second upload under the same name replace the first.
	OverwriteAllow = "allow"
	// OverwriteRefuse signs If-None-Match: * so S3 answers a second upload with 412.
	OverwriteRefuse = "refuse"
	// UnsizedAllow lets the compat upload route sign a URL without a size.
	UnsizedAllow = "allow"
	// UnsizedRefuse answers a compat upload without size with 400.
	UnsizedRefuse = "refuse"
)

// CPU architectures of the signer's Fargate tasks (cpuArchitecture). The
// task definition's runtimePlatform, the image's platform and the binary
// build.sh builds for the image all follow this one setting.
const (
	// ArchX86_64 runs the tasks on x86-64 (Fargate's default).
	ArchX86_64 = "x86_64"
	// ArchARM64 runs the tasks on ARM64 (Graviton): about 20% cheaper per
	// vCPU-hour at the same size.
	ArchARM64 = "arm64"
)

// Environment is one deployment environment's settings. Field docs name the
// cdk.json key; Defaults gives the value used when a key is left out.
type Environment struct {
	// Name is the environment's key in cdk.json (dev, staging, prod, ...).
	// It is only a name: production guards key on Production, not on it.
	Name string
	// Production turns on the production-only guards (production): removal
	// policy "destroy", WAF off and http:// page origins are refused;
	// termination protection and load-balancer deletion protection are on;
	// the signer gets S3PRESIGN_PRODUCTION=true.
	Production bool
	// Account is the AWS account id (account). Empty: environment-agnostic synth.
	Account string
	// Region is the AWS region (region). Empty: environment-agnostic synth.
	Region string
	// AvailabilityZones pins the VPC's zones (availabilityZones). With an
	// account and region but no zones, synth looks them up (needs credentials once).
	AvailabilityZones []string
	// AllowedOrigins are the page origins allowed by the bucket's CORS rules
	// and by the signer's own CORS (allowedOrigins).
	AllowedOrigins []string
	// AllowedReferers are aws:Referer patterns of the pages allowed to embed
	// download URLs (allowedReferers). Empty: no referer statement.
	AllowedReferers []string
	// ExemptPrincipalArns are principal ARN patterns the referer Deny never
	// applies to (exemptPrincipalArns).
	ExemptPrincipalArns []string
	// UploadPrefix is the key prefix of every upload, ending in "/" (uploadPrefix).
	UploadPrefix string
	// AllowedTypes lists the content types the signer accepts (allowedTypes):
	// a type from the signer's built-in table ("image/png") or a type with
	// its extensions ("text/markdown=md|markdown").
	AllowedTypes []string
	// MaxSize is the largest single PUT/POST in bytes (maxSize).
	MaxSize int64
	// DefaultExpiry is the URL lifetime when the caller asks for none (defaultExpiry).
	DefaultExpiry time.Duration
	// MaxExpiry is the longest URL lifetime, and the signatureAge limit of the
	// bucket policy (maxExpiry).
	MaxExpiry time.Duration
	// Signing is "role" or "user" (signing).
	Signing string
	// AuthMode is "none", "apikey" or "oidc" (authMode).
	AuthMode string
	// OIDCIssuer is the issuer URL (oidcIssuer), required with authMode oidc.
	OIDCIssuer string
	// OIDCAudience is the required aud claim (oidcAudience), required with authMode oidc.
	OIDCAudience string
	// CompatRoutes turns the original API's two GET routes on (compatRoutes).
	CompatRoutes bool
	// CompatOverwrite is "allow" or "refuse" (compatOverwrite).
	CompatOverwrite string
	// CompatUnsized is "allow" or "refuse" (compatUnsized): whether the
	// compat upload route signs a URL without a size, which only S3's
	// 5 GiB per PUT caps. Default: refuse in prod, allow elsewhere.
	CompatUnsized string
	// DesiredCount is the minimum (and initial) number of tasks (desiredCount).
	DesiredCount int
	// MaxCount is the autoscaling maximum (maxCount).
	MaxCount int
	// CPU is the Fargate task CPU in units (cpu).
	CPU int
	// MemoryMiB is the Fargate task memory (memoryMiB).
	MemoryMiB int
	// CPUArchitecture is "x86_64" or "arm64" (cpuArchitecture): the tasks'
	// CPU, and so the architecture the signer image is built for.
	CPUArchitecture string
	// CertificateArn is an ACM certificate in us-east-1 for the CloudFront
	// distribution's custom name (certificateArn). Empty: the distribution's
	// own https://<id>.cloudfront.net name and certificate.
	CertificateArn string
	// DomainName is the signer's custom host name, covered by the certificate
	// (domainName); a CNAME (or alias) to the distribution. Needs certificateArn.
	DomainName string
	// WAFEnabled puts an AWS WAF web ACL (per-IP rate rule and AWS managed
	// rule groups) in front of the signer (wafEnabled). Refused off in production.
	WAFEnabled bool
	// WAFRateLimit is the WAF rate rule's limit: requests per client IP per
	// 5 minutes (wafRateLimit), 10 to 2,000,000,000. Above it the IP gets 403
	// until its rate falls back under the limit.
	WAFRateLimit int
	// NatGateways is the NAT gateway count (natGateways). 0: tasks run in
	// public subnets with a public IP (cheap); 1+: private subnets, no public IP.
	NatGateways int
	// VPCFlowLogs turns on VPC flow logs to CloudWatch Logs (vpcFlowLogs).
	VPCFlowLogs bool
	// NoncurrentVersionExpiryDays expires replaced/deleted object versions (noncurrentVersionExpiryDays).
	NoncurrentVersionExpiryDays int
	// AccessLogExpiryDays expires objects in the access-log bucket (accessLogExpiryDays).
	AccessLogExpiryDays int
	// LogRetentionDays is the CloudWatch Logs retention of the service's logs (logRetentionDays).
	LogRetentionDays int
	// Encryption is "s3" or "kms" (encryption).
	Encryption string
	// RemovalPolicy is "retain" or "destroy" for stateful resources (removalPolicy).
	RemovalPolicy string

	// MalwareScanning turns on GuardDuty Malware Protection for S3 on the
	// upload prefix (malwareScanning): a protection plan that tags every new
	// object with its scan result, a bucket-policy Deny of presigned GETs of
	// objects not tagged NO_THREATS_FOUND, the signer's scan check
	// (S3PRESIGN_SCAN_CHECK, with s3:GetObjectTagging on the prefix) and the
	// malware-findings alarm. Off: none of these exist.
	MalwareScanning bool
	// MetricsCallerDimension adds the caller's name as a dimension of the
	// signer's refusal and issued-URL metrics (metricsCallerDimension). Keep
	// it off when callers are many (OIDC subjects): each name is a metric.
	MetricsCallerDimension bool
	// AlarmEmails subscribe to the alarm topic (alarmEmails). Empty: no SNS
	// topic; the alarms still show on the dashboard and in the console.
	AlarmEmails []string
	// AlarmServerErrorPercent is the ALB 5xx alarm's threshold (alarmServerErrorPercent):
	// load balancer and target 5xx answers as a percentage of requests, per minute.
	AlarmServerErrorPercent int
	// AlarmLatencyP99Ms is the p99 latency alarm's threshold in milliseconds
	// (alarmLatencyP99Ms), over the signer's own Latency metric per 5 minutes.
	AlarmLatencyP99Ms int
	// AlarmUnhealthyHosts is the unhealthy-targets alarm's threshold (alarmUnhealthyHosts).
	AlarmUnhealthyHosts int
	// AlarmRefusalsPer5Min is the refusal-spike alarm's threshold
	// (alarmRefusalsPer5Min): requests answered with an error code per 5 minutes.
	AlarmRefusalsPer5Min int

	// Notifications: see notify.go.
	Notify Notify
}

// Defaults returns the settings used for keys an environment leaves out.
// They are the cheap, safe choices; prod overrides several in cdk.json.
func Defaults(name string) Environment {
	return Environment{
		Name:                        name,
		AllowedOrigins:              []string{},
		AllowedReferers:             []string{},
		ExemptPrincipalArns:         []string{},
		AvailabilityZones:           []string{},
		UploadPrefix:                "uploads/",
		AllowedTypes:                []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"},
		MaxSize:                     100 << 20,
		DefaultExpiry:               15 * time.Minute,
		MaxExpiry:                   time.Hour,
		CompatUnsized:               defaultCompatUnsized(false),
		Signing:                     SigningRole,
		AuthMode:                    AuthAPIKey,
		WAFEnabled:                  true,
		WAFRateLimit:                2000,
		CompatRoutes:                true,
		CompatOverwrite:             OverwriteAllow,
		DesiredCount:                1,
		MaxCount:                    2,
		CPU:                         256,
		MemoryMiB:                   512,
		CPUArchitecture:             ArchX86_64,
		NatGateways:                 0,
		VPCFlowLogs:                 false,
		NoncurrentVersionExpiryDays: 30,
		AccessLogExpiryDays:         90,
		LogRetentionDays:            30,
		Encryption:                  EncryptionS3,
		RemovalPolicy:               RemovalRetain,
		MalwareScanning:             false,
		MetricsCallerDimension:      false,
		AlarmEmails:                 []string{},
		AlarmServerErrorPercent:     5,
		AlarmLatencyP99Ms:           500,
		AlarmUnhealthyHosts:         1,
		AlarmRefusalsPer5Min:        100,
		Notify:                      DefaultNotify(),
	}
}

// GOARCH is CPUArchitecture as Go and OCI platforms name it ("amd64",
// "arm64"): the GOARCH build.sh builds for and the image's linux/GOARCH
// platform. Call it on a validated environment only.
func (e Environment) GOARCH() string {
	if e.CPUArchitecture == ArchARM64 {
		return "arm64"
	}
	return "amd64"
}

// defaultCompatUnsized refuses unsized compat uploads in production, so
// every production URL is capped, and keeps old clients working elsewhere.
// Refusing unsized uploads (not turning compat off) keeps production's
// migrating clients working once they add one query parameter, size, which
// a browser knows. It applies when cdk.json leaves compatUnsized out.
func defaultCompatUnsized(production bool) string {
	if production {
		return UnsizedRefuse
	}
	return UnsizedAllow
}

// IsProd reports whether the environment is marked production (production
// in cdk.json). The name plays no part: "eu-prod" is production only if it
// says so.
func (e Environment) IsProd() bool { return e.Production }

// CustomDomain reports whether the signer is served under domainName with
// its own certificate instead of the distribution's cloudfront.net name.
func (e Environment) CustomDomain() bool { return e.CertificateArn != "" }

// Load decodes the context value stored under ContextKey (a JSON object of
// environments, as a Go value from the CDK context or as json.RawMessage),
// validates every environment in it, and returns the one called name.
// Every problem is reported in one joined error, each prefixed with its key
// path ("prod.maxSize: ...").
func Load(environments any, name string) (Environment, error) {
	raw, err := toRaw(environments)
	if err != nil {
		return Environment{}, err
	}
	var envs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &envs); err != nil || envs == nil {
		return Environment{}, fmt.Errorf("context %q: want an object of environments: %v", ContextKey, err)
	}
	names := envNames(envs)

	var errs []error
	var picked Environment
	found := false
	for _, n := range names {
		env, err := decodeEnvironment(n, envs[n])
		errs = append(errs, err)
		if n == name {
			picked, found = env, true
		}
	}
	if name == "" {
		errs = append(errs, fmt.Errorf("no environment chosen: pass -c %s=NAME, one of %s", EnvContextKey, strings.Join(names, ", ")))
	} else if !found {
		errs = append(errs, fmt.Errorf("unknown environment %q: known environments are %s", name, strings.Join(names, ", ")))
	}
	if err := errors.Join(errs...); err != nil {
		return Environment{}, err
	}
	return picked, nil
}

// LoadCDKJSON reads the environments from the bytes of a cdk.json file, for
// programs that run outside the CDK app (the local stack).
func LoadCDKJSON(cdkJSON []byte, name string) (Environment, error) {
	var file struct {
		Context map[string]json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(cdkJSON, &file); err != nil {
		return Environment{}, fmt.Errorf("cdk.json: %w", err)
	}
	envs, ok := file.Context[ContextKey]
	if !ok {
		return Environment{}, fmt.Errorf("cdk.json: context has no %q object", ContextKey)
	}
	return Load(envs, name)
}

// Names returns the sorted environment names in the context value.
func Names(environments any) ([]string, error) {
	raw, err := toRaw(environments)
	if err != nil {
		return nil, err
	}
	var envs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &envs); err != nil {
		return nil, err
	}
	return envNames(envs), nil
}

// IsComment reports whether a key is a comment ("//" or "//anything"), which
// Load skips: JSON has no comments, so cdk.json documents itself this way.
func IsComment(key string) bool { return strings.HasPrefix(key, "//") }

func envNames(envs map[string]json.RawMessage) []string {
	names := make([]string, 0, len(envs))
	for n := range envs {
		if !IsComment(n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

func toRaw(v any) (json.RawMessage, error) {
	switch t := v.(type) {
	case nil:
		return nil, fmt.Errorf("context %q is missing: cdk.json must define the environments", ContextKey)
	case json.RawMessage:
		return t, nil
	case []byte:
		return t, nil
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("context %q: %w", ContextKey, err)
		}
		return b, nil
	}
}
