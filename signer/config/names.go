// Package config reads and validates the signer's settings from environment
// variables. The variable names are exported constants so that the CDK app in
// infra/ sets them by name and the two cannot drift.
package config

// Names of every environment variable the signer reads. Each is documented in
// signer/README.md's settings table (a test in infra/devtools/docs checks it); Vars
// lists them all.
const (
	// EnvEnvironment names the deployment environment (dev, staging, prod).
	// It is only a name (logs, metrics): EnvProduction turns the guards on.
	EnvEnvironment = "S3PRESIGN_ENVIRONMENT"
	// EnvProduction marks a production deployment (true/false, default
	// false): auth mode "none" is refused. An explicit setting, never guessed
	// from the environment's name, so that "eu-prod" is guarded too; the CDK
	// app sets it from the environment's "production" flag in cdk.json.
	EnvProduction = "S3PRESIGN_PRODUCTION"
	// EnvBucket is the bucket that URLs point at. Required.
	EnvBucket = "S3PRESIGN_BUCKET"
	// EnvRegion is the bucket's region. Falls back to AWS_REGION.
	EnvRegion = "S3PRESIGN_REGION"
	// EnvEndpoint overrides the S3 endpoint (for S3-compatible servers).
	EnvEndpoint = "S3PRESIGN_ENDPOINT"
	// EnvPathStyle selects path-style URLs (true/false).
	EnvPathStyle = "S3PRESIGN_PATH_STYLE"
	// EnvKeyPrefix is the prefix every issued key starts with, e.g. "uploads/".
	EnvKeyPrefix = "S3PRESIGN_KEY_PREFIX"
	// EnvAllowedTypes is a comma-separated list of allowed content types.
	EnvAllowedTypes = "S3PRESIGN_ALLOWED_TYPES"
	// EnvAllowActiveTypes (true/false, default false) must be true for
	// EnvAllowedTypes to list a type browsers execute or render as a document
	// (HTML, SVG, XML, JavaScript); their downloads are always attachments.
	EnvAllowActiveTypes = "S3PRESIGN_ALLOW_ACTIVE_TYPES"
	// EnvMaxSize is the largest object in bytes a single PUT or POST may write.
	EnvMaxSize = "S3PRESIGN_MAX_SIZE"
	// EnvDefaultExpiry is the URL lifetime when the caller asks for none (Go duration).
	EnvDefaultExpiry = "S3PRESIGN_DEFAULT_EXPIRY"
	// EnvMaxExpiry is the longest URL lifetime issued (Go duration, at most 168h).
	EnvMaxExpiry = "S3PRESIGN_MAX_EXPIRY"
	// EnvListenAddr is the HTTP listen address, e.g. ":8080".
	EnvListenAddr = "S3PRESIGN_LISTEN_ADDR"
	// EnvLogLevel is debug, info, warn or error.
	EnvLogLevel = "S3PRESIGN_LOG_LEVEL"
	// EnvShutdownTimeout bounds the graceful drain on SIGTERM (Go duration).
	EnvShutdownTimeout = "S3PRESIGN_SHUTDOWN_TIMEOUT"
	// EnvCORSOrigins lists the page origins allowed to call the signer itself.
	EnvCORSOrigins = "S3PRESIGN_CORS_ORIGINS"
	// EnvCompatRoutes turns the original server's two GET routes on or off.
	EnvCompatRoutes = "S3PRESIGN_COMPAT_ROUTES"
	// EnvCompatOverwrite is "allow" or "refuse" for the compat upload route.
	EnvCompatOverwrite = "S3PRESIGN_COMPAT_OVERWRITE"
	// EnvCompatUnsized is "allow" or "refuse": whether the compat upload
	// route signs a URL when the client gives no size (such a URL is capped
	// only by S3's 5 GiB per PUT).
	EnvCompatUnsized = "S3PRESIGN_COMPAT_UNSIZED"
	// EnvMultipartThreshold is the size from which clients should use multipart.
	EnvMultipartThreshold = "S3PRESIGN_MULTIPART_THRESHOLD"
	// EnvPartSize is the part size the signer hands out for multipart uploads.
	EnvPartSize = "S3PRESIGN_PART_SIZE"
	// EnvMaxMultipartSize is the largest object a multipart upload may write.
	EnvMaxMultipartSize = "S3PRESIGN_MAX_MULTIPART_SIZE"
	// EnvTokenKey is a secret used to sign multipart upload tokens (base64, 32+ bytes).
	// When empty a random key is generated at start (tokens then die with the process).
	EnvTokenKey = "S3PRESIGN_TOKEN_KEY"
	// EnvAuthMode is none, apikey or oidc.
	EnvAuthMode = "S3PRESIGN_AUTH_MODE"
	// EnvAPIKeys holds the API-key hash lines ("name:sha256hex[:rate[:burst]]"),
	// separated by newlines or commas.
	EnvAPIKeys = "S3PRESIGN_API_KEYS"
	// EnvAPIKeysFile, instead of EnvAPIKeys, names a file holding the hash
	// lines (a mounted secret): it is read again every
	// EnvAPIKeysReloadInterval and on SIGHUP, so a removed key stops working
	// without a restart.
	EnvAPIKeysFile = "S3PRESIGN_API_KEYS_FILE"
	// EnvAPIKeysSecretARN, instead of EnvAPIKeys or EnvAPIKeysFile, is the
	// ARN of a Secrets Manager secret whose string holds the hash lines: the
	// signer reads it with its own (task role) credentials every
	// EnvAPIKeysReloadInterval and on SIGHUP, so a key removed from the
	// secret in AWS stops working without a restart.
	EnvAPIKeysSecretARN = "S3PRESIGN_API_KEYS_SECRET_ARN"
	// EnvAPIKeysReloadInterval is how often the API-key lines are reloaded
	// (Go duration, default 60s): the longest a removed key keeps working.
	EnvAPIKeysReloadInterval = "S3PRESIGN_API_KEYS_RELOAD_INTERVAL"
	// EnvOIDCIssuer is the issuer URL whose JWKS verifies bearer tokens.
	EnvOIDCIssuer = "S3PRESIGN_OIDC_ISSUER"
	// EnvOIDCJWKSURL, when set, is the JWKS URL used instead of OpenID Connect
	// discovery (issuer + "/.well-known/openid-configuration").
	EnvOIDCJWKSURL = "S3PRESIGN_OIDC_JWKS_URL"
	// EnvOIDCAudience is the required "aud" claim.
	EnvOIDCAudience = "S3PRESIGN_OIDC_AUDIENCE"
	// EnvOIDCSubjectClaim names the claim that names the caller (default "sub").
	EnvOIDCSubjectClaim = "S3PRESIGN_OIDC_SUBJECT_CLAIM"
	// EnvOIDCAllowMutableSubject (true/false, default false) lets
	// EnvOIDCSubjectClaim name a claim users may change, such as email: only
	// for an issuer that forbids changing it.
	EnvOIDCAllowMutableSubject = "S3PRESIGN_OIDC_ALLOW_MUTABLE_SUBJECT"
	// EnvOIDCAlgorithms lists the accepted JWS algorithms (default RS256,ES256).
	EnvOIDCAlgorithms = "S3PRESIGN_OIDC_ALGORITHMS"
	// EnvSharedPrefixes lists "caller=prefix" pairs a caller may also read from.
	EnvSharedPrefixes = "S3PRESIGN_SHARED_PREFIXES"
	// EnvRateLimit is the sustained requests per second allowed per caller.
	EnvRateLimit = "S3PRESIGN_RATE_LIMIT"
	// EnvRateBurst is the burst allowed per caller.
	EnvRateBurst = "S3PRESIGN_RATE_BURST"
	// EnvTrustedProxyHops is how many X-Forwarded-For hops are added by trusted proxies (1 behind an ALB).
	EnvTrustedProxyHops = "S3PRESIGN_TRUSTED_PROXY_HOPS"
	// EnvMetricsNamespace is the CloudWatch namespace of EMF metrics; the value
	// MetricsOff ("off") turns EMF off, and unset means DefaultMetricsNamespace.
	EnvMetricsNamespace = "S3PRESIGN_METRICS_NAMESPACE"
	// EnvMetricsInterval is how often aggregated metrics are flushed (Go duration).
	EnvMetricsInterval = "S3PRESIGN_METRICS_INTERVAL"
	// EnvMetricsAddr is an optional private listen address for Prometheus /metrics.
	EnvMetricsAddr = "S3PRESIGN_METRICS_ADDR"
	// EnvMetricsCallerDimension adds the authenticated caller's name as a
	// dimension of the refusal and issued-URL metrics (true/false, default
	// false). Leave it off unless callers are few (API keys): every caller
	// name is a CloudWatch metric of its own, and at most 100 are kept.
	EnvMetricsCallerDimension = "S3PRESIGN_METRICS_CALLER_DIMENSION"
	// EnvScanCheck makes the download route check the malware scan tag first (true/false).
	EnvScanCheck = "S3PRESIGN_SCAN_CHECK"
)
