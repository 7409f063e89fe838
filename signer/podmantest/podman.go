// Package podmantest runs the signer's container image with podman the way
// ECS runs it (read-only root filesystem, no capabilities, non-root), for the
// container tests and the image figures of the bench report.
package podmantest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// FlagsEnv overrides the global flags podman gets (even when set empty).
const FlagsEnv = "S3PRESIGN_PODMAN_FLAGS"

// cgroupV1Flags are needed where the host has cgroup v1 or hybrid cgroups
// (this project's development machines): crun, podman's usual runtime,
// fails there with "cgroups in hybrid mode not supported", and runc with
// cgroupfs works. Hosts with unified cgroup v2 (GitHub's Ubuntu runners)
// use podman's defaults.
var cgroupV1Flags = []string{"--runtime", "runc", "--cgroup-manager=cgroupfs"}

// GlobalFlags returns the global flags for podman on this host: $FlagsEnv
// when set, else cgroupV1Flags unless the host has unified cgroup v2.
func GlobalFlags() []string {
	if v, ok := os.LookupEnv(FlagsEnv); ok {
		return strings.Fields(v)
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return nil // unified cgroup v2
	}
	return cgroupV1Flags
}

// RunFlags are `podman run`'s flags that mirror the ECS task definition:
// the read-only root filesystem without podman's writable /tmp, /run and
// /var/tmp (ECS gives none), no /etc/passwd entry added for the image's
// numeric user (ECS adds none), every capability dropped, host networking so
// the container reaches versitygw on 127.0.0.1 and is reached there, and
// ulimits within what an unprivileged host allows (podman's defaults fail
// with "setrlimit RLIMIT_NOFILE: Operation not permitted" on some hosts).
var RunFlags = []string{
	"--network=host",
	"--read-only", "--read-only-tmpfs=false",
	"--passwd=false",
	"--cap-drop=ALL",
	"--ulimit", "nofile=20000:20000",
	"--ulimit", "nproc=1000:1000",
}

// Command returns podman with the host's global flags and args.
func Command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "podman", append(GlobalFlags(), args...)...)
}

// Output runs podman with args and returns its trimmed standard output; the
// error carries standard error.
func Output(ctx context.Context, args ...string) (string, error) {
	cmd := Command(ctx, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("podman %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return strings.TrimSpace(string(out)), nil
}

// Available reports whether podman is on PATH, with the fix when not.
func Available() error {
	if _, err := exec.LookPath("podman"); err != nil {
		return fmt.Errorf("podman not found (run `make tools`, which installs podman and runc): %w", err)
	}
	return nil
}
