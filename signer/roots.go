package main

// The shipped image is built FROM scratch, so it has no /etc/ssl: the
// signer's HTTPS calls (S3 multipart and tagging, Secrets Manager, STS, OIDC
// discovery and JWKS) would trust nothing. This package embeds the Mozilla
// root set, maintained by the Go team, and installs it only when the
// system offers no roots of its own: on a host with a CA bundle, or with
// SSL_CERT_FILE set, those are used instead.
import _ "golang.org/x/crypto/x509roots/fallback"
