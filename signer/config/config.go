package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
	"github.com/s3presign/s3presign/signer/internal/objectkey"
	"github.com/s3presign/s3presign/signer/internal/presign"
	"github.com/s3presign/s3presign/signer/internal/rules"
)

// EnvAWSRegion is the AWS SDK's region variable, read when EnvRegion is unset
// (ECS sets it in every task).
const EnvAWSRegion = "AWS_REGION"

// Defaults of the settings that have one.
const (
	DefaultEnvironment     = "dev"
	DefaultKeyPrefix       = "uploads/"
	DefaultAllowedTypes    = rules.DefaultAllowed
	DefaultMaxSize         = 10 << 20
	DefaultDefaultExpiry   = 5 * time.Minute
	DefaultMaxExpiry       = time.Hour
	DefaultListenAddr      = ":8080"
	DefaultLogLevel        = "info"
	DefaultShutdownTimeout = 20 * time.Second
	DefaultCompatRoutes    = true
	DefaultCompatOverwrite = OverwriteAllow
	DefaultCompatUnsized   = UnsizedAllow
)

// Overwrite says whether the compat upload route may replace an object.
type Overwrite string

// Values of EnvCompatOverwrite.
const (
	// OverwriteAllow signs only Content-Type, as the original server did: a
	// second upload under the same name replaces the first.
	OverwriteAllow Overwrite = "allow"
	// OverwriteRefuse also signs If-None-Match: *, so S3 answers a second
	// upload under the same name with 412.
	OverwriteRefuse Overwrite = "refuse"
)

// Unsized says whether the compat upload route signs a URL for a request
// without size.
type Unsized string

// Values of EnvCompatUnsized.
const (
	// UnsizedAllow signs it, as the original server did: the URL is capped
	// only by S3's 5 GiB per PUT, and can be reused until it expires.
	UnsizedAllow Unsized = "allow"
	// UnsizedRefuse answers 400 saying to add size, so every compat URL
	// signs Content-Length.
	UnsizedRefuse Unsized = "refuse"
)

// Config is the signer's validated configuration.
type Config struct {
	// Environment names the deployment environment (dev, staging, prod).
	Environment string
	// Production marks a production deployment: auth mode none is refused.
	Production bool
	// Bucket is the bucket URLs point at.
	Bucket string
	// Region is the bucket's region.
	Region string
	// Endpoint is the S3 endpoint, scheme://host[:port]; by default the
	// regional AWS endpoint.
	Endpoint string
	// PathStyle selects path-style URLs.
	PathStyle bool
	// KeyPrefix starts every key; it ends with "/".
	KeyPrefix string
	// AllowedTypes are the allowed content types with their extensions.
	AllowedTypes []rules.Type
	// Limits are the size and lifetime limits.
	Limits rules.Limits
	// ListenAddr is the HTTP listen address.
	ListenAddr string
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// ShutdownTimeout bounds the graceful drain.
	ShutdownTimeout time.Duration
	// CORSOrigins are the page origins allowed to call the signer.
	CORSOrigins []string
	// CompatRoutes serves GET /signed-url-upload and /signed-url-access.
	CompatRoutes bool
	// CompatOverwrite is the compat upload route's overwrite policy.
	CompatOverwrite Overwrite
	// CompatUnsized is the compat upload route's policy for requests
	// without size.
	CompatUnsized Unsized

	// AuthMode is how callers authenticate: none, apikey or oidc. Required;
	// none is refused in production (Production).
	AuthMode authconfig.Mode
	// APIKeys holds the validated API-key hash lines (mode apikey), unless
	// APIKeysFile is set.
	APIKeys string
	// APIKeysFile names the file that holds the hash lines (mode apikey);
	// it is read at start and reloaded.
	APIKeysFile string
	// APIKeysSecretARN is the Secrets Manager secret that holds the hash
	// lines (mode apikey), read at start and reloaded; APIKeysSecretRegion
	// is the region in its ARN.
	APIKeysSecretARN, APIKeysSecretRegion string
	// APIKeysReloadInterval is how often the hash lines are reloaded (mode
	// apikey); SIGHUP reloads them at once.
	APIKeysReloadInterval time.Duration
	// OIDCIssuer is the required "iss" and the base of discovery (mode oidc).
	OIDCIssuer string
	// OIDCJWKSURL, when set, replaces OpenID Connect discovery (mode oidc).
	OIDCJWKSURL string
	// OIDCAudiences: a token's "aud" must hold one of them (mode oidc).
	OIDCAudiences []string
	// OIDCSubjectClaim names the claim that names the caller (mode oidc).
	OIDCSubjectClaim string
	// OIDCAlgorithms are the accepted JWS algorithms (mode oidc).
	OIDCAlgorithms []string
	// RateLimit is each caller's token bucket; unauthenticated requests are
	// limited per client IP with the same figures.
	RateLimit authconfig.Limit
	// TrustedProxyHops is how many proxies append to X-Forwarded-For in
	// front of the signer (1 behind an ALB); 0 ignores the header.
	TrustedProxyHops int
	// SharedPrefixes gives callers read access (download URLs) to whole key
	// prefixes besides their own, by caller name.
	SharedPrefixes map[string][]string
	// TokenKey signs multipart upload tokens; nil when not configured.
	TokenKey []byte
	// Multipart are the multipart upload limits.
	Multipart rules.Multipart

	// MetricsNamespace is the CloudWatch namespace of the EMF lines on
	// stdout; "" when EMF output is off.
	MetricsNamespace string
	// MetricsInterval is how often aggregated metrics are flushed.
	MetricsInterval time.Duration
	// MetricsAddr is the private listen address of Prometheus /metrics; ""
	// when off.
	MetricsAddr string
	// MetricsCallerDimension adds the caller's name as a metric dimension.
	MetricsCallerDimension bool
	// ScanCheck makes the download route read the object's malware scan tag
	// first: 409 while pending, 403 unless clean.
	ScanCheck bool
}

// Target returns where URLs point.
func (c Config) Target() presign.Target {
	return presign.Target{Endpoint: c.Endpoint, Region: c.Region, Bucket: c.Bucket, PathStyle: c.PathStyle}
}

// Vars returns the name of every environment variable Load reads, in the
// order it reads them.
func Vars() []string {
	var names []string
	_, _ = Load(func(name string) string {
		names = append(names, name)
		return ""
	})
	return names
}

// Load reads and validates the configuration. It reads every variable once,
// whatever the values, and returns one error naming every bad setting.
func Load(getenv func(string) string) (Config, error) {
	l := loader{getenv: getenv}
	var c Config

	c.Environment = l.str(EnvEnvironment, DefaultEnvironment)
	c.Production = l.boolean(EnvProduction, false)
	c.Bucket = l.str(EnvBucket, "")
	region := l.str(EnvRegion, "")
	awsRegion := l.str(EnvAWSRegion, "")
	endpoint := l.str(EnvEndpoint, "")
	c.PathStyle = l.boolean(EnvPathStyle, false)
	c.KeyPrefix = l.str(EnvKeyPrefix, DefaultKeyPrefix)
	allowed := l.str(EnvAllowedTypes, DefaultAllowedTypes)
	allowActive := l.boolean(EnvAllowActiveTypes, false)
	c.Limits.MaxSize = l.size(EnvMaxSize, DefaultMaxSize)
	c.Limits.DefaultExpiry = l.duration(EnvDefaultExpiry, DefaultDefaultExpiry)
	c.Limits.MaxExpiry = l.duration(EnvMaxExpiry, DefaultMaxExpiry)
	c.ListenAddr = l.str(EnvListenAddr, DefaultListenAddr)
	level := l.str(EnvLogLevel, DefaultLogLevel)
	c.ShutdownTimeout = l.duration(EnvShutdownTimeout, DefaultShutdownTimeout)
	origins := l.str(EnvCORSOrigins, "")
	c.CompatRoutes = l.boolean(EnvCompatRoutes, DefaultCompatRoutes)
	c.CompatOverwrite = Overwrite(l.str(EnvCompatOverwrite, string(DefaultCompatOverwrite)))
	c.CompatUnsized = Unsized(l.str(EnvCompatUnsized, string(DefaultCompatUnsized)))
	authVars, tokenKey := l.readAuth()
	multipart := l.readMultipart()
	metrics := l.readMetrics(&c)

	// Validation, in the order of signer/README.md's settings table.
	if !validName(c.Environment) {
		l.fail(EnvEnvironment, "%q must be 1-32 characters a-z 0-9 -, starting with a letter", c.Environment)
	}
	if c.Bucket == "" {
		l.fail(EnvBucket, "is required")
	}
	switch {
	case region != "":
		c.Region = region
	case awsRegion != "":
		c.Region = awsRegion
	default:
		l.fail(EnvRegion, "is required (or set %s)", EnvAWSRegion)
	}
	if endpoint == "" && c.Region != "" {
		c.Endpoint = awsEndpoint(c.Region)
	}
	ok := true
	if c.Bucket != "" && !validBucket(c.Bucket) {
		ok = false
		l.fail(EnvBucket, "%q is not an S3 bucket name (3-63 characters a-z 0-9 . -, starting and ending with a letter or digit)", c.Bucket)
	}
	if c.Region != "" && !validRegion(c.Region) {
		ok = false
		l.fail(EnvRegion, "%q is not a region name such as eu-west-1", c.Region)
	}
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" {
			ok = false
			l.fail(EnvEndpoint, "%q must be scheme://host[:port] with scheme http or https and no path or user info", RedactURL(endpoint))
		} else {
			c.Endpoint = u.Scheme + "://" + u.Host
		}
	}
	if ok && c.Bucket != "" && c.Region != "" {
		if strings.Contains(c.Bucket, ".") && !c.PathStyle && strings.HasPrefix(c.Endpoint, "https:") {
			l.fail(EnvPathStyle, "bucket %q has dots, so virtual-hosted https URLs fail TLS name checks; set %s=true", c.Bucket, EnvPathStyle)
		} else if _, err := presign.New(c.Target()); err != nil {
			// A guard: the checks above should already have caught it.
			l.fail(EnvBucket, "%v", oneLine(err))
		}
	}
	if err := objectkey.CheckPrefix(c.KeyPrefix); err != nil {
		l.fail(EnvKeyPrefix, "%v", err)
	}
	if types, err := rules.ParseTypes(allowed); err != nil {
		l.fail(EnvAllowedTypes, "%v", oneLine(err))
	} else {
		c.AllowedTypes = types
		l.checkActiveTypes(types, allowActive)
	}
	if c.Limits.MaxSize > rules.MaxPutSize {
		l.fail(EnvMaxSize, "%d is above the single-PUT limit of 5 GiB (%d bytes)", c.Limits.MaxSize, rules.MaxPutSize)
	}
	l.checkMultipart(&c, multipart)
	if d := c.Limits.DefaultExpiry; d > 0 && d%time.Second != 0 {
		l.fail(EnvDefaultExpiry, "%s must be whole seconds", d)
	}
	if d := c.Limits.MaxExpiry; d > 0 && (d%time.Second != 0 || d > rules.MaxLifetime) {
		l.fail(EnvMaxExpiry, "%s must be whole seconds, at most %s", d, rules.MaxLifetime)
	}
	if c.Limits.DefaultExpiry > c.Limits.MaxExpiry && c.Limits.MaxExpiry > 0 {
		l.fail(EnvDefaultExpiry, "%s is above %s (%s)", c.Limits.DefaultExpiry, EnvMaxExpiry, c.Limits.MaxExpiry)
	}
	if err := checkListenAddr(c.ListenAddr); err != nil {
		l.fail(EnvListenAddr, "%v", err)
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil || !validLevel(level) {
		l.fail(EnvLogLevel, "%q must be debug, info, warn or error", level)
	}
	if c.ShutdownTimeout > 10*time.Minute {
		l.fail(EnvShutdownTimeout, "%s is above 10m", c.ShutdownTimeout)
	}
	c.CORSOrigins = l.origins(EnvCORSOrigins, origins)
	if c.CompatOverwrite != OverwriteAllow && c.CompatOverwrite != OverwriteRefuse {
		l.fail(EnvCompatOverwrite, "%q must be allow or refuse", c.CompatOverwrite)
	}
	if c.CompatUnsized != UnsizedAllow && c.CompatUnsized != UnsizedRefuse {
		l.fail(EnvCompatUnsized, "%q must be allow or refuse", c.CompatUnsized)
	}
	l.checkAuth(&c, authVars)
	l.checkMetrics(&c, metrics)
	c.TokenKey = l.tokenKey(tokenKey)

	if err := errors.Join(l.errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// checkActiveTypes refuses allowed types that browsers execute or render as
// a document unless allowActive says the operator means it.
func (l *loader) checkActiveTypes(types []rules.Type, allowActive bool) {
	var active []string
	for _, t := range types {
		if rules.IsActive(t.Type) {
			active = append(active, t.Type)
		}
	}
	if len(active) == 0 || allowActive {
		return
	}
	l.fail(EnvAllowActiveTypes, "%s lists %s, which browsers run or render as a page: served inline from the bucket, an upload could run script "+
		"in the bucket's origin. Remove them, or set %s=true to accept them; their downloads are then always attachments",
		EnvAllowedTypes, strings.Join(active, ", "), EnvAllowActiveTypes)
}

// HealthAddr returns the host:port the healthcheck subcommand calls, from
// EnvListenAddr: the loopback address when the server listens on every
// interface, else the host it listens on.
func HealthAddr(getenv func(string) string) (string, error) {
	addr := getenv(EnvListenAddr)
	if addr == "" {
		addr = DefaultListenAddr
	}
	if err := checkListenAddr(addr); err != nil {
		return "", fmt.Errorf("%s: %v", EnvListenAddr, err)
	}
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// awsEndpoint is the regional S3 endpoint. Regional (not global) so that a
// new bucket never answers a browser with a 307 redirect, which breaks CORS.
func awsEndpoint(region string) string {
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://s3." + region + "." + suffix
}

func checkListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %v", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port must be a number 0-65535", addr)
	}
	return nil
}

// validBucket applies S3's bucket naming rules (the common subset).
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || !alnum(b[0]) || !alnum(b[len(b)-1]) || strings.Contains(b, "..") {
		return false
	}
	for i := 0; i < len(b); i++ {
		if c := b[i]; !alnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	return net.ParseIP(b) == nil
}

func validRegion(r string) bool {
	if len(r) == 0 || len(r) > 32 {
		return false
	}
	for i := 0; i < len(r); i++ {
		if c := r[i]; !alnum(c) && c != '-' {
			return false
		}
	}
	return true
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func validLevel(s string) bool {
	switch strings.ToLower(s) {
	case "debug", "info", "warn", "error":
		return true
	}
	return false
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// oneLine joins a multi-line error into one line.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// RedactURL returns raw, for an error message, with any user info (all
// before the last "@", after the scheme) replaced by REDACTED: a secret
// pasted into a URL setting must not reach stderr and so the logs. It works
// on text, so it also hides user info in a URL that does not parse.
func RedactURL(raw string) string {
	at := strings.LastIndexByte(raw, '@')
	if at < 0 {
		return raw
	}
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 && i < at {
		start = i + len("://")
	}
	return raw[:start] + "REDACTED" + raw[at:]
}

// loader reads variables and collects every problem.
type loader struct {
	getenv func(string) string
	errs   []error
}

func (l *loader) fail(name, format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// str returns the trimmed value, or def when it is empty.
func (l *loader) str(name, def string) string {
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return def
	}
	return v
}

func (l *loader) boolean(name string, def bool) bool {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.fail(name, "%q must be true or false", v)
		return def
	}
	return b
}

func (l *loader) duration(name string, def time.Duration) time.Duration {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		l.fail(name, "%q must be a positive Go duration such as 30s, 5m or 1h", v)
		return 0
	}
	return d
}

// size parses a byte count: digits, optionally followed by KiB, MiB, GiB or TiB.
func (l *loader) size(name string, def int64) int64 {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	return l.sizeOf(name, v)
}

// sizeOf parses the byte count v of setting name (see size).
func (l *loader) sizeOf(name, v string) int64 {
	num, mult := v, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}} {
		if s, ok := strings.CutSuffix(v, u.suffix); ok {
			num, mult = strings.TrimSpace(s), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || n > (1<<62)/mult {
		l.fail(name, "%q must be a positive number of bytes, optionally with KiB, MiB, GiB or TiB (e.g. 10MiB)", v)
		return 0
	}
	return n * mult
}

// origins parses a comma-separated list of exact origins
// (scheme://host[:port]). A wildcard is not accepted.
func (l *loader) origins(name, v string) []string {
	var out []string
	for o := range strings.SplitSeq(v, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" {
			l.fail(name, "%q is not an origin such as https://app.example.com or http://127.0.0.1:5173", o)
			continue
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out
}
