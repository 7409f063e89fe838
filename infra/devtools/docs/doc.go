// Package docs holds the tests that keep the READMEs true to the code: every
// signer setting (signer/config's Env* names) and every cdk.json key is
// documented, every documented make target is in README.md's make-target
// list, every relative link and #anchor in a README resolves, and the
// five-minute tour block in README.md parses (infra/devtools/local runs it against a
// local stack). Docs that drift fail `make check` and `make test`.
package docs
