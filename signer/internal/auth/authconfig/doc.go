// Package authconfig parses and validates the signer's authentication
// settings: the mode, the caller-name grammar, the API-key hash lines, the
// accepted JWS algorithms and rate limits.
//
// It uses the standard library only, so that signer/config can call it from
// Load (and report every bad setting at start) without pulling JWT or
// rate-limit dependencies into modules that import signer/config, such as the
// CDK app.
package authconfig
