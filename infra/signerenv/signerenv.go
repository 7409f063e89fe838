// Package signerenv turns an environment's settings (infra/config) into the
// signer's environment variables, named by the signer's own constants
// (signer/config). It is the one place that mapping is written: infra/service
// sets these variables on the Fargate task, and the local stack (infra/devtools/local)
// starts the signer binary with them, overriding only what differs on one
// machine. Pure Go, no jsii.
package signerenv

import (
	"strconv"
	"strings"
	"time"

	"github.com/s3presign/s3presign/infra/config"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// Facts of the deployed container that are not settings of an environment.
const (
	// ContainerPort is where the deployed signer listens.
	ContainerPort = 8080
	// TrustedProxyHops is the number of X-Forwarded-For entries added in
	// front of the deployed signer: CloudFront appends the viewer's address,
	// then the load balancer appends CloudFront's (its VPC-origin interface).
	// The signer takes the second entry from the right: what CloudFront saw.
	TrustedProxyHops = 2
)

// Vars returns the deployed signer's plain environment variables for env:
// the signer signs for bucket in region (either may be a CDK token), listens
// on ContainerPort and trusts TrustedProxyHops proxies. Secrets (token key,
// API keys, a signing user's keys) are not here: they are injected from
// Secrets Manager.
func Vars(env *config.Environment, bucket, region string) map[string]string {
	vars := map[string]string{
		sconfig.EnvEnvironment:      env.Name,
		sconfig.EnvProduction:       strconv.FormatBool(env.Production),
		sconfig.EnvBucket:           bucket,
		sconfig.EnvRegion:           region,
		sconfig.EnvKeyPrefix:        env.UploadPrefix,
		sconfig.EnvAllowedTypes:     strings.Join(env.AllowedTypes, ","),
		sconfig.EnvMaxSize:          strconv.FormatInt(env.MaxSize, 10),
		sconfig.EnvDefaultExpiry:    Duration(env.DefaultExpiry),
		sconfig.EnvMaxExpiry:        Duration(env.MaxExpiry),
		sconfig.EnvListenAddr:       ":" + strconv.Itoa(ContainerPort),
		sconfig.EnvCompatRoutes:     strconv.FormatBool(env.CompatRoutes),
		sconfig.EnvCompatOverwrite:  env.CompatOverwrite,
		sconfig.EnvCompatUnsized:    env.CompatUnsized,
		sconfig.EnvAuthMode:         env.AuthMode,
		sconfig.EnvTrustedProxyHops: strconv.Itoa(TrustedProxyHops),
		// Set although it is the signer's default: the dashboard and alarms
		// (infra/monitoring) read this namespace.
		sconfig.EnvMetricsNamespace: sconfig.DefaultMetricsNamespace,
	}
	if env.MalwareScanning {
		vars[sconfig.EnvScanCheck] = "true"
	}
	if env.MetricsCallerDimension {
		vars[sconfig.EnvMetricsCallerDimension] = "true"
	}
	if len(env.AllowedOrigins) > 0 {
		vars[sconfig.EnvCORSOrigins] = strings.Join(env.AllowedOrigins, ",")
	}
	if env.AuthMode == config.AuthOIDC {
		vars[sconfig.EnvOIDCIssuer] = env.OIDCIssuer
		vars[sconfig.EnvOIDCAudience] = env.OIDCAudience
	}
	return vars
}

// Duration formats a whole-second duration the short way ("15m", "1h",
// "90s"), which Go's time.ParseDuration reads back.
func Duration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	default:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
}
