package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"

	"github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/internal/creds"
)

// The container credentials variables, as ECS (Fargate) and EKS Pod Identity
// set them. The SDK's default chain reads them from the process environment;
// the signer reads them through run's getenv, like every other setting.
const (
	envContainerRelativeURI = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
	envContainerFullURI     = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	envContainerToken       = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
	envContainerTokenFile   = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
)

// ecsCredentialsHost is where a relative URI points (the ECS agent).
const ecsCredentialsHost = "http://169.254.170.2"

// credentialsAttemptTimeout bounds one HTTP call to the credentials
// endpoint. Without it a hung endpoint (connection accepted, no answer)
// would hold the credentials cache's only refresh forever, and the signer
// would stay unavailable after the endpoint recovered. The SDK retries a
// timed-out call (3 attempts in all).
const credentialsAttemptTimeout = 2 * time.Second

// containerCredentials returns the container credentials provider, cached as
// package creds expects, when getenv names a container credentials endpoint;
// otherwise nil. As in the SDK, a relative URI wins over a full one, and a
// full URI over plain http must point at a loopback address or at the
// ECS/EKS agent's link-local address; the token comes from
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every call, as it rotates)
// or AWS_CONTAINER_AUTHORIZATION_TOKEN.
func containerCredentials(getenv func(string) string) (aws.CredentialsProvider, error) {
	endpoint := getenv(envContainerFullURI)
	if rel := getenv(envContainerRelativeURI); rel != "" {
		endpoint = ecsCredentialsHost + rel
	} else if endpoint != "" {
		if err := checkContainerURI(endpoint); err != nil {
			return nil, fmt.Errorf("%s: %w", envContainerFullURI, err)
		}
	}
	if endpoint == "" {
		return nil, nil
	}
	token, tokenFile := getenv(envContainerToken), getenv(envContainerTokenFile)
	p := endpointcreds.New(endpoint, func(o *endpointcreds.Options) {
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(credentialsAttemptTimeout)
		o.AuthorizationToken = token
		if tokenFile != "" {
			o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return "", fmt.Errorf("read %s: %w", envContainerTokenFile, err)
				}
				return strings.TrimSpace(string(b)), nil
			})
		}
	})
	return aws.NewCredentialsCache(p, creds.CacheOptions), nil
}

// checkContainerURI applies the SDK's rule for a full URI: https anywhere;
// http only to a loopback address (or "localhost") or to the ECS
// (169.254.170.2) or EKS (169.254.170.23, fd00:ec2::23) agent. Unlike the
// SDK it does not resolve other host names.
func checkContainerURI(raw string) error {
	shown := config.RedactURL(raw) // never echo user info
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", shown)
	}
	host := u.Hostname()
	switch {
	case host == "":
		return fmt.Errorf("%q has no host", shown)
	case u.Scheme == "https":
		return nil
	case u.Scheme != "http":
		return fmt.Errorf("%q must be http or https", shown)
	case host == "localhost":
		return nil
	}
	if ip := net.ParseIP(host); ip != nil &&
		(ip.IsLoopback() || ip.Equal(net.IPv4(169, 254, 170, 2)) || ip.Equal(net.IPv4(169, 254, 170, 23)) || ip.Equal(net.ParseIP("fd00:ec2::23"))) {
		return nil
	}
	return fmt.Errorf("%q: over http only a loopback address or the ECS/EKS agent (169.254.170.2, 169.254.170.23, fd00:ec2::23) is allowed", shown)
}
