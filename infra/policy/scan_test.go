package policy_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/policy"
	"github.com/s3presign/s3presign/signer/s3test"
)

func scanning(on bool) config.Environment {
	e := env(nil, nil)
	e.MalwareScanning = on
	return e
}

func TestScanDenyRefusesPresignedGetsUnlessClean(t *testing.T) {
	e := scanning(true)
	e.UploadPrefix = "incoming/"
	st, ok := policy.BucketPolicy(e, bucketARN).Find(policy.SidDenyUnscanned)
	if !ok {
		t.Fatal("malwareScanning on, but no scan Deny")
	}
	want := `{"Sid":"DenyPresignedGetUnlessScannedClean","Effect":"Deny","Principal":"*","Action":["s3:GetObject"],` +
		`"Resource":["arn:aws:s3:::example-bucket/incoming/*"],` +
		`"Condition":{"StringEquals":{"s3:authType":["REST-QUERY-STRING"]},` +
		`"StringNotEquals":{"s3:ExistingObjectTag/GuardDutyMalwareScanStatus":["NO_THREATS_FOUND"]}}}`
	if got := mustJSON(t, st); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Control: scanning off, no statement (it would refuse every download).
	if _, ok := policy.BucketPolicy(scanning(false), bucketARN).Find(policy.SidDenyUnscanned); ok {
		t.Error("malwareScanning off, but the scan Deny is there")
	}
}

func TestSignerMayReadTagsOnlyWithScanning(t *testing.T) {
	on := policy.SignerStatement(scanning(true), bucketARN)
	if !slices.Contains(on.Action, "s3:GetObjectTagging") || len(on.Action) != len(policy.SignerActions)+1 {
		t.Errorf("scanning on: actions %v, want SignerActions + s3:GetObjectTagging", on.Action)
	}
	if !slices.IsSorted(on.Action) {
		t.Errorf("actions not sorted: %v", on.Action)
	}
	off := policy.SignerStatement(scanning(false), bucketARN)
	if slices.Contains(off.Action, "s3:GetObjectTagging") {
		t.Errorf("scanning off: actions %v include s3:GetObjectTagging", off.Action)
	}
	if !slices.Equal(on.Resource, off.Resource) {
		t.Errorf("the tag grant widened the resources: %v vs %v", on.Resource, off.Resource)
	}
}

func TestForVersityGWDropsTheScanDenyByRule(t *testing.T) {
	doc, omitted := policy.ForVersityGW(scanning(true), "local-bucket", "SIGNERKEY")
	if _, ok := doc.Find(policy.SidDenyUnscanned); ok {
		t.Error("the local policy keeps the s3:ExistingObjectTag Deny versitygw refuses")
	}
	var found bool
	for _, o := range omitted {
		if o.Sid == policy.SidDenyUnscanned && o.What == "statement" && strings.Contains(o.Why, "ExistingObjectTag") {
			found = true
		}
	}
	if !found {
		t.Errorf("omissions %v do not explain the dropped scan Deny", omitted)
	}
	// The rule is by key family, not by Sid: any tag key is covered.
	other := policy.Document{Version: policy.Version, Statement: []policy.Statement{{
		Sid: "AnyTag", Effect: policy.Deny, Principal: policy.Everyone(), Action: []string{"s3:GetObject"}, Resource: []string{bucketARN + "/*"},
		Condition: policy.Condition{"StringEquals": {"s3:ExistingObjectTag/classification": {"secret"}}},
	}}}
	if out, _ := policy.AdaptForVersityGW(other); len(out.Statement) != 0 {
		t.Errorf("a Deny on another tag key was kept: %s", mustJSON(t, out))
	}
}

// TestVersityGWRefusesExistingObjectTagConditions checks the premise of the
// transform against the real server: versitygw v1.8.0 answers
// PutBucketPolicy with MalformedPolicy when a condition reads an object tag,
// and accepts the transformed policy.
func TestVersityGWRefusesExistingObjectTagConditions(t *testing.T) {
	srv := s3test.Start(t)
	if err := srv.CreateUser("signer", "signer-secret-0123456789", s3test.RoleUserPlus); err != nil {
		t.Fatal(err)
	}
	signer := aws.Credentials{AccessKeyID: "signer", SecretAccessKey: "signer-secret-0123456789"}
	if err := srv.CreateBucket(signer, "local-bucket"); err != nil {
		t.Fatal(err)
	}
	c := srv.RootClient()
	put := func(d policy.Document) error {
		b, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("local-bucket"), Policy: aws.String(string(b))})
		return err
	}
	deployedDeny, _ := policy.BucketPolicy(scanning(true), policy.BucketARN("local-bucket")).Find(policy.SidDenyUnscanned)
	// Only the tag key left to blame (versitygw also refuses s3:authType).
	deployedDeny.Condition = policy.Condition{"StringNotEquals": deployedDeny.Condition["StringNotEquals"]}
	allow := policy.SignerStatement(scanning(true), policy.BucketARN("local-bucket"))
	allow.Principal = &policy.Principal{AWS: []string{"signer"}}
	err := put(policy.Document{Version: policy.Version, Statement: []policy.Statement{allow, deployedDeny}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "MalformedPolicy" {
		t.Fatalf("PutBucketPolicy with s3:ExistingObjectTag = %v, want MalformedPolicy (if versitygw now accepts it, revisit the local rule)", err)
	}
	// Control: the transformed policy is accepted.
	local, _ := policy.ForVersityGW(scanning(true), "local-bucket", "signer")
	if err := put(local); err != nil {
		t.Fatalf("PutBucketPolicy of the transformed policy: %v", err)
	}
}
