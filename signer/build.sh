#!/bin/sh
# The one build command of the signer, used by the Makefile (`make build`) and
# by the Dockerfile: a static, reproducible binary with the version and commit
# stamped in.
#
#   VERSION=v1.2.3 COMMIT=abc1234 signer/build.sh OUTPUT
#
# TAGS adds build tags (only `make profile` uses it: TAGS=pprof builds the
# never-shipped profiling variant).
# OUTPUT may be relative to the caller's working directory.
set -eu

if [ "$#" -ne 1 ]; then
	echo "usage: VERSION=.. COMMIT=.. $0 OUTPUT" >&2
	exit 2
fi
out=$1
case $out in
/*) ;;
*) out="$(pwd)/$out" ;;
esac

cd "$(dirname "$0")"
CGO_ENABLED=0 go build -trimpath -buildvcs=false -tags "${TAGS:-}" \
	-ldflags "-s -w -X main.version=${VERSION:-dev} -X main.commit=${COMMIT:-none}" \
	-o "$out" .
