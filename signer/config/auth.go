package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
	"github.com/s3presign/s3presign/signer/internal/objectkey"
)

// Defaults and bounds of the authentication, rate-limit and token settings.
const (
	// DefaultRateLimit is each caller's sustained requests per second (and,
	// for unauthenticated requests, each client IP's).
	DefaultRateLimit = 10
	// DefaultRateBurst is each caller's burst.
	DefaultRateBurst = 20
	// DefaultOIDCSubjectClaim is the claim that names the caller.
	DefaultOIDCSubjectClaim = "sub"
	// DefaultTrustedProxyHops: no proxy in front, X-Forwarded-For is ignored.
	DefaultTrustedProxyHops = 0
	// MaxTrustedProxyHops bounds EnvTrustedProxyHops.
	MaxTrustedProxyHops = 10
	// MinTokenKeyBytes is the least decoded length of EnvTokenKey.
	MinTokenKeyBytes = 32
	// DefaultAPIKeysReloadInterval bounds how long a removed API key keeps
	// working.
	DefaultAPIKeysReloadInterval = time.Minute
	// MinAPIKeysReloadInterval and MaxAPIKeysReloadInterval bound
	// EnvAPIKeysReloadInterval.
	MinAPIKeysReloadInterval = 100 * time.Millisecond
	MaxAPIKeysReloadInterval = time.Hour
)

// ImmutableSubjectClaims are the claims EnvOIDCSubjectClaim accepts without
// EnvOIDCAllowMutableSubject: "sub" (OpenID Connect: never reassigned within
// an issuer) and "oid" (Microsoft Entra ID's object id, fixed for the life
// of the account). The caller's name is its key prefix, the boundary
// between callers' files, so it must never pass from one person to another.
var ImmutableSubjectClaims = []string{"sub", "oid"}

// MutableSubjectClaims are claims known to be changeable by users or
// administrators; the start-up refusal names the risk for them explicitly.
var MutableSubjectClaims = []string{"email", "preferred_username", "name", "upn", "unique_name"}

// authVars are the raw values of the authentication settings, each read once.
type authVars struct {
	mode, apiKeys, apiKeysFile, reload     string
	apiKeysSecret                          string
	issuer, jwksURL, audience, claim, algs string
	allowMutable                           string
	rate, burst, hops, shared              string
}

// readAuth reads the authentication, rate-limit and token-key settings.
func (l *loader) readAuth() (authVars, string) {
	v := authVars{
		mode:          l.str(EnvAuthMode, ""),
		apiKeys:       l.str(EnvAPIKeys, ""),
		apiKeysFile:   l.str(EnvAPIKeysFile, ""),
		apiKeysSecret: l.str(EnvAPIKeysSecretARN, ""),
		reload:        l.str(EnvAPIKeysReloadInterval, ""),
		issuer:        l.str(EnvOIDCIssuer, ""),
		jwksURL:       l.str(EnvOIDCJWKSURL, ""),
		audience:      l.str(EnvOIDCAudience, ""),
		claim:         l.str(EnvOIDCSubjectClaim, ""),
		allowMutable:  l.str(EnvOIDCAllowMutableSubject, ""),
		algs:          l.str(EnvOIDCAlgorithms, ""),
		rate:          l.str(EnvRateLimit, ""),
		burst:         l.str(EnvRateBurst, ""),
		hops:          l.str(EnvTrustedProxyHops, ""),
		shared:        l.str(EnvSharedPrefixes, ""),
	}
	return v, l.str(EnvTokenKey, "")
}

// checkAuth validates the authentication settings into c. It needs
// c.Production, c.Environment and c.KeyPrefix. Messages never echo API-key lines.
func (l *loader) checkAuth(c *Config, v authVars) {
	switch {
	case v.mode == "":
		l.fail(EnvAuthMode, "is required: apikey, oidc, or none (none only outside production); "+
			"there is no default, so that no deployment runs unauthenticated by accident")
	default:
		m, err := authconfig.ParseMode(v.mode)
		if err != nil {
			l.fail(EnvAuthMode, "%v", err)
			break
		}
		c.AuthMode = m
		if err := authconfig.CheckMode(m, c.Production); err != nil {
			l.fail(EnvAuthMode, "%v (%s=true, %s=%q)", err, EnvProduction, EnvEnvironment, c.Environment)
		}
	}

	// Settings of another mode would silently not apply: refuse them.
	unused := func(name, value string, mode authconfig.Mode) bool {
		if value == "" || c.AuthMode == "" || c.AuthMode == mode {
			return false
		}
		l.fail(name, "is set, but %s is %q: it is only used in mode %s; unset it or change the mode", EnvAuthMode, c.AuthMode, mode)
		return true
	}

	// apikey
	unusedKeys := unused(EnvAPIKeys, v.apiKeys, authconfig.ModeAPIKey)
	unusedFile := unused(EnvAPIKeysFile, v.apiKeysFile, authconfig.ModeAPIKey)
	unusedSecret := unused(EnvAPIKeysSecretARN, v.apiKeysSecret, authconfig.ModeAPIKey)
	unused(EnvAPIKeysReloadInterval, v.reload, authconfig.ModeAPIKey)
	if !unusedKeys && !unusedFile && !unusedSecret && c.AuthMode == authconfig.ModeAPIKey {
		l.checkAPIKeys(c, v)
	}

	// oidc
	oidcVars := []struct{ name, value string }{
		{EnvOIDCIssuer, v.issuer}, {EnvOIDCJWKSURL, v.jwksURL}, {EnvOIDCAudience, v.audience},
		{EnvOIDCSubjectClaim, v.claim}, {EnvOIDCAlgorithms, v.algs}, {EnvOIDCAllowMutableSubject, v.allowMutable},
	}
	for _, o := range oidcVars {
		unused(o.name, o.value, authconfig.ModeOIDC)
	}
	if c.AuthMode == authconfig.ModeOIDC {
		l.checkOIDC(c, v)
	}

	// Rate limits apply in every mode (mode none: per client IP).
	c.RateLimit = authconfig.Limit{PerSecond: DefaultRateLimit, Burst: DefaultRateBurst}
	if v.rate != "" {
		if r, err := authconfig.ParseRate(v.rate); err != nil {
			l.fail(EnvRateLimit, "%v", err)
		} else {
			c.RateLimit.PerSecond = r
		}
	}
	if v.burst != "" {
		if b, err := authconfig.ParseBurst(v.burst); err != nil {
			l.fail(EnvRateBurst, "%v", err)
		} else {
			c.RateLimit.Burst = b
		}
	}
	c.TrustedProxyHops = DefaultTrustedProxyHops
	if v.hops != "" {
		n, err := strconv.Atoi(v.hops)
		if err != nil || n < 0 || n > MaxTrustedProxyHops {
			l.fail(EnvTrustedProxyHops, "%q must be a whole number 0-%d (1 behind an AWS ALB)", v.hops, MaxTrustedProxyHops)
		} else {
			c.TrustedProxyHops = n
		}
	}

	if v.shared != "" {
		if c.AuthMode == authconfig.ModeNone {
			l.fail(EnvSharedPrefixes, "is set, but %s is none: there are no callers to share with", EnvAuthMode)
		} else {
			c.SharedPrefixes = l.sharedPrefixes(v.shared, c.KeyPrefix)
		}
	}
}

// checkAPIKeys validates the settings of mode apikey: exactly one source of
// the hash lines (EnvAPIKeys inline, the file EnvAPIKeysFile, or the
// Secrets Manager secret EnvAPIKeysSecretARN; the signer reads the last two
// at start, not here), and the reload interval.
func (l *loader) checkAPIKeys(c *Config, v authVars) {
	var set []string
	for _, s := range []struct{ name, value string }{{EnvAPIKeys, v.apiKeys}, {EnvAPIKeysFile, v.apiKeysFile}, {EnvAPIKeysSecretARN, v.apiKeysSecret}} {
		if s.value != "" {
			set = append(set, s.name)
		}
	}
	switch {
	case len(set) > 1:
		l.fail(set[len(set)-1], "is set together with %s: give the hash lines in exactly one of %s, %s or %s",
			strings.Join(set[:len(set)-1], " and "), EnvAPIKeys, EnvAPIKeysFile, EnvAPIKeysSecretARN)
	case v.apiKeysSecret != "":
		region, err := secretRegion(v.apiKeysSecret)
		if err != nil {
			l.fail(EnvAPIKeysSecretARN, "%v", err)
		} else {
			c.APIKeysSecretARN, c.APIKeysSecretRegion = v.apiKeysSecret, region
		}
	case v.apiKeysFile != "":
		c.APIKeysFile = v.apiKeysFile
	case v.apiKeys == "":
		l.fail(EnvAPIKeys, "is required in mode apikey (or %s, or %s): hash lines \"name:sha256hex[:rate[:burst]]\" from `signer apikey new NAME`", EnvAPIKeysFile, EnvAPIKeysSecretARN)
	default:
		if _, err := authconfig.ParseKeyLines(v.apiKeys); err != nil {
			l.fail(EnvAPIKeys, "%s", oneLine(err))
		} else {
			c.APIKeys = v.apiKeys
		}
	}
	c.APIKeysReloadInterval = DefaultAPIKeysReloadInterval
	if v.reload != "" {
		d, err := time.ParseDuration(v.reload)
		if err != nil || d < MinAPIKeysReloadInterval || d > MaxAPIKeysReloadInterval {
			l.fail(EnvAPIKeysReloadInterval, "%q must be a Go duration from %s to %s, such as 60s", v.reload, MinAPIKeysReloadInterval, MaxAPIKeysReloadInterval)
		} else {
			c.APIKeysReloadInterval = d
		}
	}
}

// checkOIDC validates the settings of mode oidc.
func (l *loader) checkOIDC(c *Config, v authVars) {
	if v.issuer == "" {
		l.fail(EnvOIDCIssuer, "is required in mode oidc: the issuer URL, exactly as the tokens' \"iss\" claim")
	} else if err := checkIssuerURL(v.issuer); err != nil {
		l.fail(EnvOIDCIssuer, "%v", err)
	} else {
		c.OIDCIssuer = v.issuer
	}
	if v.jwksURL != "" {
		if err := checkIssuerURL(v.jwksURL); err != nil {
			l.fail(EnvOIDCJWKSURL, "%v", err)
		} else {
			c.OIDCJWKSURL = v.jwksURL
		}
	}
	for a := range strings.SplitSeq(v.audience, ",") {
		if a = strings.TrimSpace(a); a != "" && !slices.Contains(c.OIDCAudiences, a) {
			c.OIDCAudiences = append(c.OIDCAudiences, a)
		}
	}
	if len(c.OIDCAudiences) == 0 {
		l.fail(EnvOIDCAudience, "is required in mode oidc: the \"aud\" value(s) tokens must carry (comma-separated)")
	}
	c.OIDCSubjectClaim = DefaultOIDCSubjectClaim
	if v.claim != "" {
		if !validClaimName(v.claim) {
			l.fail(EnvOIDCSubjectClaim, "%q must be a claim name: 1-128 printable ASCII characters, no spaces or commas", v.claim)
		} else {
			c.OIDCSubjectClaim = v.claim
		}
	}
	l.checkSubjectClaim(c.OIDCSubjectClaim, v.allowMutable)
	if algs, err := authconfig.ParseAlgorithms(v.algs); err != nil {
		l.fail(EnvOIDCAlgorithms, "%s", oneLine(err))
	} else {
		c.OIDCAlgorithms = algs
	}
}

// checkSubjectClaim refuses a subject claim outside ImmutableSubjectClaims
// unless allowMutable is "true": the claim names the caller, and its value
// is the caller's key prefix, so a user who can change it (rename their
// email, username or display name to another user's) would read and write
// that user's files.
func (l *loader) checkSubjectClaim(claim, allowMutable string) {
	allowed := false
	if allowMutable != "" {
		b, err := strconv.ParseBool(allowMutable)
		if err != nil {
			l.fail(EnvOIDCAllowMutableSubject, "%q must be true or false", allowMutable)
			return
		}
		allowed = b
	}
	if allowed || slices.Contains(ImmutableSubjectClaims, claim) {
		return
	}
	kind := "is not a claim known to be immutable"
	if slices.Contains(MutableSubjectClaims, claim) {
		kind = "is a claim users or administrators can change"
	}
	l.fail(EnvOIDCSubjectClaim, "%q %s: the caller's name is the key prefix that separates callers' files, so a user who changes it to "+
		"another user's value reads and writes that user's files. Use %s (the default, or %s), or set %s=true only if your issuer "+
		"forbids changing and reassigning %q", claim, kind, DefaultOIDCSubjectClaim, strings.Join(ImmutableSubjectClaims[1:], ", "), EnvOIDCAllowMutableSubject, claim)
}

// checkIssuerURL accepts an absolute https URL without user info, query or
// fragment; plain http only on a loopback host (tests, the local stack).
func checkIssuerURL(raw string) error {
	u, err := url.Parse(raw)
	shown := RedactURL(raw) // never echo user info
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("%q is not an absolute URL such as https://idp.example.com/", shown)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must not have user info, query or fragment", shown)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	default:
		return fmt.Errorf("%q must be https (plain http only on a loopback host)", shown)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validClaimName(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == ',' || c == '"' {
			return false
		}
	}
	return true
}

// sharedPrefixes parses "caller=prefix" pairs (comma-separated). Each prefix
// is a whole key prefix under keyPrefix (the signer's role can read nothing
// else), ending in "/".
func (l *loader) sharedPrefixes(v, keyPrefix string) map[string][]string {
	out := map[string][]string{}
	for entry := range strings.SplitSeq(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		caller, prefix, ok := strings.Cut(entry, "=")
		caller, prefix = strings.TrimSpace(caller), strings.TrimSpace(prefix)
		if !ok {
			l.fail(EnvSharedPrefixes, "%q must be caller=prefix, e.g. bob=%salice/", entry, keyPrefix)
			continue
		}
		bad := false
		if err := authconfig.ValidName(caller); err != nil {
			l.fail(EnvSharedPrefixes, "%q: %v", entry, err)
			bad = true
		}
		if err := objectkey.CheckPrefix(prefix); err != nil {
			l.fail(EnvSharedPrefixes, "%q: %v", entry, err)
			bad = true
		} else if !strings.HasPrefix(prefix, keyPrefix) {
			l.fail(EnvSharedPrefixes, "%q: prefix must start with %s (%q): the signer reads nothing else", entry, EnvKeyPrefix, keyPrefix)
			bad = true
		}
		if bad {
			continue
		}
		if slices.Contains(out[caller], prefix) {
			l.fail(EnvSharedPrefixes, "%q is given twice", entry)
			continue
		}
		out[caller] = append(out[caller], prefix)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// tokenKey decodes EnvTokenKey: standard or URL-safe base64, padded or not,
// at least MinTokenKeyBytes once decoded. Empty gives nil (the multipart code
// then makes a random key at start). The value is never echoed.
func (l *loader) tokenKey(v string) []byte {
	if v == "" {
		return nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(v)
		if err != nil {
			continue
		}
		if len(b) < MinTokenKeyBytes {
			l.fail(EnvTokenKey, "decodes to %d bytes; want at least %d (e.g. `openssl rand -base64 48`)", len(b), MinTokenKeyBytes)
			return nil
		}
		return b
	}
	l.fail(EnvTokenKey, "is not base64 (standard or URL-safe); want at least %d random bytes, e.g. `openssl rand -base64 48`", MinTokenKeyBytes)
	return nil
}

// secretRegion checks that arn is a Secrets Manager secret's ARN,
// arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME, and returns its
// region: the secret is read from that region's endpoint, whatever the
// bucket's region.
func secretRegion(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 7)
	bad := fmt.Errorf("%q is not a secret's ARN: want arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME (the ARN of the API-key secret)", arn)
	if len(parts) != 7 || parts[0] != "arn" || parts[1] == "" || parts[2] != "secretsmanager" || parts[5] != "secret" || parts[6] == "" {
		return "", bad
	}
	if !validRegion(parts[3]) || len(parts[4]) != 12 || strings.Trim(parts[4], "0123456789") != "" {
		return "", bad
	}
	return parts[3], nil
}
