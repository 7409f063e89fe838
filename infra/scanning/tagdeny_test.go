package scanning_test

import (
	"testing"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/internal/iameval"
	"github.com/s3presign/s3presign/infra/policy"
	"github.com/s3presign/s3presign/infra/scanning"
)

const (
	bucketARN   = "arn:aws:s3:::uploads-bucket"
	scanRoleARN = "arn:aws:iam::123456789012:role/s3presign-staging-storage-ScanningRole-ABC"
	taskRoleARN = "arn:aws:iam::123456789012:role/s3presign-staging-service-SignerTaskRole-DEF"
	adminARN    = "arn:aws:iam::123456789012:role/ops-admin"
)

// TestOnlyTheScanRoleMayWriteTheScanTag evaluates the environment's bucket
// policy (with the tag Deny) against three in-account principals and their
// identity policies: GuardDuty's scan role (control: allowed), the signer's
// task role, and a role whose identity policy allows s3:*.
func TestOnlyTheScanRoleMayWriteTheScanTag(t *testing.T) {
	env := config.Defaults("staging")
	env.MalwareScanning = true
	bucket := policy.BucketPolicy(env, bucketARN)
	bucket.Statement = append(bucket.Statement, policy.ScanTagDeny(env, bucketARN, scanRoleARN))

	scanIdentity := scanning.Statements(&env, bucketARN, "arn:aws:events:eu-west-1:123456789012:rule/x", "", "eu-west-1")
	signerIdentity := []policy.Statement{policy.SignerStatement(env, bucketARN)}
	adminIdentity := []policy.Statement{{Effect: policy.Allow, Action: []string{"s3:*"}, Resource: []string{"*"}}}

	object := bucketARN + "/" + env.UploadPrefix + "2026/05/a.png"
	tls := map[string]string{policy.KeySecureTransport: "true", policy.KeyAuthType: "REST-HEADER"}
	decide := func(who string, identity []policy.Statement, action string) iameval.Decision {
		t.Helper()
		d, err := iameval.Evaluate(iameval.Request{PrincipalArn: who, Action: action, Resource: object, Context: tls}, identity, bucket)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, action := range policy.TagWriteActions {
		want := iameval.Allowed
		if action == "s3:DeleteObjectTagging" || action == "s3:DeleteObjectVersionTagging" {
			want = iameval.ImplicitDeny // GuardDuty's role is never granted deletes
		}
		if got := decide(scanRoleARN, scanIdentity, action); got != want {
			t.Errorf("scan role %s: %s, want %s", action, got, want)
		}
		if got := decide(taskRoleARN, signerIdentity, action); got != iameval.ExplicitDeny {
			t.Errorf("signer task role %s: %s, want explicit deny", action, got)
		}
		if got := decide(adminARN, adminIdentity, action); got != iameval.ExplicitDeny {
			t.Errorf("s3:* role %s: %s, want explicit deny", action, got)
		}
	}
	// Controls: the Deny is about tags only. The s3:* role still reads and
	// writes objects, and the signer still uploads.
	if got := decide(adminARN, adminIdentity, "s3:GetObjectTagging"); got != iameval.Allowed {
		t.Errorf("s3:* role GetObjectTagging: %s, want allowed", got)
	}
	if got := decide(taskRoleARN, signerIdentity, "s3:PutObject"); got != iameval.Allowed {
		t.Errorf("signer PutObject: %s, want allowed", got)
	}
	// Control: without the tag Deny the s3:* role could forge the tag.
	bare := policy.BucketPolicy(env, bucketARN)
	if d, _ := iameval.Evaluate(iameval.Request{PrincipalArn: adminARN, Action: "s3:PutObjectTagging", Resource: object, Context: tls}, adminIdentity, bare); d != iameval.Allowed {
		t.Errorf("without the Deny: %s, want allowed (the test would prove nothing)", d)
	}
	// Outside the upload prefix the Deny does not reach.
	if d, _ := iameval.Evaluate(iameval.Request{PrincipalArn: adminARN, Action: "s3:PutObjectTagging", Resource: bucketARN + "/other/x", Context: tls}, adminIdentity, bucket); d != iameval.Allowed {
		t.Errorf("outside the prefix: %s, want allowed", d)
	}
}

// The local server cannot evaluate aws:PrincipalArn, so the local policy
// drops the whole statement (a Deny without its condition would refuse
// everyone) and says why.
func TestVersityGWDropsTheTagDeny(t *testing.T) {
	env := config.Defaults("dev")
	env.MalwareScanning = true
	doc := policy.BucketPolicy(env, bucketARN)
	doc.Statement = append(doc.Statement, policy.ScanTagDeny(env, bucketARN, scanRoleARN))
	out, omitted := policy.AdaptForVersityGW(doc)
	if _, ok := out.Find(policy.SidDenyScanTagWrites); ok {
		t.Error("the local policy keeps a tag Deny it cannot evaluate")
	}
	found := false
	for _, o := range omitted {
		found = found || (o.Sid == policy.SidDenyScanTagWrites && o.What == "statement")
	}
	if !found {
		t.Errorf("omissions %v do not report the dropped tag Deny", omitted)
	}
}
