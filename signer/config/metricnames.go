package config

// The signer's metric contract: the CloudWatch namespace, metric names and
// dimension names the signer emits (as EMF on stdout) and the CDK dashboard
// and alarms in infra/monitoring read. Both sides use these constants, so
// they cannot drift.
const (
	// DefaultMetricsNamespace is the CloudWatch namespace of the signer's
	// EMF metrics unless EnvMetricsNamespace says otherwise.
	DefaultMetricsNamespace = "S3Presign"

	// MetricRequests counts answered requests (unit Count), by route.
	MetricRequests = "Requests"
	// MetricLatency is the time from the first middleware to the last byte
	// handed to the server (unit Milliseconds), a histogram by route.
	MetricLatency = "Latency"
	// MetricRefused counts requests answered with an error code (unit
	// Count), by code: every 4xx and 5xx the signer itself writes.
	MetricRefused = "Refused"
	// MetricURLsIssued counts presigned URLs (or POST forms) handed out
	// (unit Count), by operation.
	MetricURLsIssued = "URLsIssued"
	// MetricAPIKeyReloads counts reloads of the API-key lines (unit Count),
	// by result (ReloadOK, ReloadFailed). A failed reload keeps the last good
	// set, so a removed key may still work: alarm on ReloadFailed.
	MetricAPIKeyReloads = "APIKeyReloads"

	// DimEnvironment is on every metric: the value of EnvEnvironment.
	DimEnvironment = "Environment"
	// DimRoute is the route pattern that matched, e.g. "POST /v1/uploads",
	// or RouteUnmatched. Never the request's path or query.
	DimRoute = "Route"
	// DimCode is an API error code such as "invalid_request".
	DimCode = "Code"
	// DimOperation is what an issued URL is for, e.g. "upload" or "download".
	DimOperation = "Operation"
	// DimCaller is the authenticated caller's name; present only when
	// EnvMetricsCallerDimension is true. CallerNone stands for no caller.
	DimCaller = "Caller"
	// DimResult is the outcome of an API-key reload: ReloadOK or ReloadFailed.
	DimResult = "Result"
	// ReloadOK is the DimResult value of a reload that applied the lines read.
	ReloadOK = "ok"
	// ReloadFailed is the DimResult value of a reload that kept the last good set.
	ReloadFailed = "failed"

	// RouteUnmatched is the DimRoute value of requests no route matched
	// (404 and 405 answers of the router).
	RouteUnmatched = "unmatched"
	// CallerNone is the DimCaller value of requests with no caller name
	// (unauthenticated, or auth mode none).
	CallerNone = "-"
)

// The malware scan contract: the object tag GuardDuty Malware Protection for
// S3 writes, and the one value that lets a file out. The signer's scan check
// (EnvScanCheck) and the bucket policy's tag-conditional Deny (infra/policy)
// both use these.
const (
	// ScanStatusTag is the object tag key GuardDuty writes after a scan.
	ScanStatusTag = "GuardDutyMalwareScanStatus"
	// ScanStatusClean is its value when no threat was found.
	ScanStatusClean = "NO_THREATS_FOUND"
)
