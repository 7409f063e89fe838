package s3test

import (
	"context"
	"fmt"
	"os/exec"
	"time"
)

// User roles versitygw's internal IAM knows.
const (
	// RoleUser may use buckets it owns or is granted, but not create buckets.
	RoleUser = "user"
	// RoleUserPlus is RoleUser that may also create buckets.
	RoleUserPlus = "userplus"
	// RoleAdmin may do anything, including the admin API.
	RoleAdmin = "admin"
)

// adminTimeout bounds one admin CLI call.
const adminTimeout = 30 * time.Second

// CreateUser adds an IAM user with the admin CLI
// (`versitygw admin ... create-user -a ACCESS -s SECRET -r ROLE`). Unlike the
// root user, such users are subject to bucket policies.
func (s *Server) CreateUser(access, secret, role string) error {
	switch role {
	case RoleUser, RoleUserPlus, RoleAdmin:
	default:
		return fmt.Errorf("s3test: role %q is not %s, %s or %s", role, RoleUser, RoleUserPlus, RoleAdmin)
	}
	return s.admin("create-user", "--access", access, "--secret", secret, "--role", role)
}

// ChangeBucketOwner makes the user with access key owner the owner of bucket
// (`versitygw admin ... change-bucket-owner -b BUCKET -o OWNER`).
func (s *Server) ChangeBucketOwner(bucket, owner string) error {
	return s.admin("change-bucket-owner", "--bucket", bucket, "--owner", owner)
}

// admin runs one `versitygw admin` subcommand as root against the server.
func (s *Server) admin(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	full := append([]string{"admin", "--access", s.RootAccessKey, "--secret", s.RootSecret,
		"--region", s.Region, "--endpoint-url", s.Endpoint}, args...)
	cmd := exec.CommandContext(ctx, s.bin, full...)
	cmd.Env = cleanEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("s3test: versitygw admin %s: %w: %s", args[0], err, out)
	}
	return nil
}
