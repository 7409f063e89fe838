#!/bin/sh
# The one build command of the signer's image, used by `make image`,
# `make deploy` and the container tests.
#
#   VERSION=v1.2.3 COMMIT=abc1234 signer/image.sh stage ARCH
#     builds the static binary for linux/ARCH (amd64 or arm64) with build.sh
#     into signer/dist/signer-linux-ARCH, the one file the build context lets
#     in (.dockerignore). `make deploy` stops here: the CDK's DockerImageAsset
#     then builds signer/Dockerfile from signer/ with --platform linux/ARCH.
#
#   VERSION=v1.2.3 COMMIT=abc1234 signer/image.sh build ARCH TAG
#     stages as above, then builds the image with podman into the local store
#     as TAG, and prints its ID, size and architecture. --timestamp 0 and
#     --no-cache: two builds of the same commit give the same image ID.
set -eu

usage() {
	echo "usage: VERSION=.. COMMIT=.. $0 stage ARCH | build ARCH TAG   (ARCH: amd64 or arm64)" >&2
	exit 2
}
[ "$#" -ge 2 ] || usage
mode=$1 arch=$2
case $arch in
amd64 | arm64) ;;
*) usage ;;
esac
case $mode in
stage) [ "$#" -eq 2 ] || usage ;;
build) [ "$#" -eq 3 ] || usage ;;
*) usage ;;
esac

cd "$(dirname "$0")"
bin=dist/signer-linux-$arch
mkdir -p dist
rm -f "$bin"
GOOS=linux GOARCH=$arch ./build.sh "$bin"
# Readable and executable by the image's non-root user whatever the umask;
# mtime 0 so the image layer is the same bytes in every build of this binary,
# with --timestamp 0 (make image) or without (the CDK's docker build).
chmod 0555 "$bin"
TZ=UTC0 touch -t 197001010000.00 "$bin"
[ "$mode" = stage ] && exit 0

tag=$3
# The OCI format: podman's docker format records a random container ID and
# host name, so two builds would differ. --layers=false: one commit, no
# intermediate images left in the store.
podman build --quiet --format oci --layers=false --timestamp 0 --no-cache \
	--platform "linux/$arch" --file Dockerfile --tag "$tag" . >/dev/null
podman image inspect --format 'image  {{.RepoTags}}
id     {{.Id}}
size   {{.Size}} bytes
arch   {{.Os}}/{{.Architecture}}' "$tag"
