package stacks_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/policy"
	"github.com/s3presign/s3presign/infra/scanning"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// opsVariant synthesizes dev with every operations option on: malware
// scanning with SSE-KMS (so the scan role needs the key), alarm emails (so
// the SNS topic exists) and the caller dimension.
func opsVariant(t *testing.T) *synthesized {
	t.Helper()
	return synthCached(t, "ops", func(e *config.Environment) {
		e.Name = "ops"
		e.MalwareScanning = true
		e.Encryption = config.EncryptionKMS
		e.AlarmEmails = []string{"ops@example.com", "on-call@example.com"}
		e.MetricsCallerDimension = true
		e.AlarmServerErrorPercent = 7
		e.AlarmLatencyP99Ms = 750
		e.AlarmUnhealthyHosts = 2
		e.AlarmRefusalsPer5Min = 321
	})
}

// scanRole returns the logical id and resource of the GuardDuty plan's role.
func scanRole(t *testing.T, s *synthesized) (string, map[string]any) {
	t.Helper()
	for id, r := range resources(s.storage, "AWS::IAM::Role") {
		if strings.Contains(js(props(r)["AssumeRolePolicyDocument"]), scanning.ServicePrincipal) {
			return id, r
		}
	}
	t.Fatalf("%s: no role assumed by %s", s.env.Name, scanning.ServicePrincipal)
	return "", nil
}

func TestMalwareProtectionPlan(t *testing.T) {
	for _, s := range []*synthesized{synthEnv(t, "prod"), opsVariant(t)} {
		_, plan := only(t, s.storage, "AWS::GuardDuty::MalwareProtectionPlan")
		roleID, _ := scanRole(t, s)
		p := props(plan)
		want := `{"Actions":{"Tagging":{"Status":"ENABLED"}},` +
			`"ProtectedResource":{"S3Bucket":{"BucketName":{"Ref":"` + bucketLogicalID + `"},"ObjectPrefixes":["` + s.env.UploadPrefix + `"]}},` +
			`"Role":{"Fn::GetAtt":["` + roleID + `","Arn"]}}`
		if got := js(p); got != want {
			t.Errorf("%s: plan\n got %s\nwant %s", s.env.Name, got, want)
		}
	}
	// Control: environments without scanning have no plan and no scan role.
	dev := synthEnv(t, "dev")
	if n := len(resources(dev.storage, "AWS::GuardDuty::MalwareProtectionPlan")); n != 0 {
		t.Errorf("dev (malwareScanning false): %d protection plans", n)
	}
	for _, r := range resources(dev.storage, "AWS::IAM::Role") {
		if strings.Contains(js(r), scanning.ServicePrincipal) {
			t.Error("dev: a GuardDuty scan role exists without scanning")
		}
	}
}

func TestMalwareProtectionRoleHasTheDocumentedPermissionsOnly(t *testing.T) {
	prefixRes := func(prefix string) string {
		return `{"Fn::Join":["",[` + bucketARN(bucketLogicalID) + `,"/` + prefix + `*"]]}`
	}
	ruleRes := regexp.MustCompile(`^\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":events:",\{"Ref":"AWS::Region"\},":",\{"Ref":"AWS::AccountId"\},":rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3\*"\]\]\}$|` +
		`^"arn:aws:events:[a-z0-9-]+:[0-9]{12}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3\*"$|` +
		`^\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":events:[a-z0-9-]+:[0-9]{12}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3\*"\]\]\}$`)
	for _, s := range []*synthesized{synthEnv(t, "prod"), opsVariant(t)} {
		_, role := scanRole(t, s)
		if got := js(dig(props(role), "AssumeRolePolicyDocument", "Statement")); got != `[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"`+scanning.ServicePrincipal+`"}}]` {
			t.Errorf("%s: trust policy %s", s.env.Name, got)
		}
		if mp := props(role)["ManagedPolicyArns"]; mp != nil {
			t.Errorf("%s: scan role has managed policies %s", s.env.Name, js(mp))
		}
		pols, _ := props(role)["Policies"].([]any)
		if len(pols) != 1 || dig(pols[0], "PolicyName") != scanning.PolicyName {
			t.Fatalf("%s: inline policies %s, want one %q", s.env.Name, js(pols), scanning.PolicyName)
		}
		var sids []string
		for _, x := range dig(pols[0], "PolicyDocument", "Statement").([]any) {
			st := x.(map[string]any)
			sid, _ := st["Sid"].(string)
			sids = append(sids, sid)
			if st["Effect"] != "Allow" {
				t.Errorf("%s: %s is not an Allow", s.env.Name, sid)
			}
			res := js(st["Resource"])
			var wantActions, wantRes string
			switch sid {
			case "AllowManagedRuleToSendS3EventsToGuardDuty":
				wantActions = `["events:DeleteRule","events:PutRule","events:PutTargets","events:RemoveTargets"]`
				if js(st["Condition"]) != `{"StringLike":{"events:ManagedBy":"`+scanning.ServicePrincipal+`"}}` {
					t.Errorf("%s: %s condition %s", s.env.Name, sid, js(st["Condition"]))
				}
				if !ruleRes.MatchString(res) {
					t.Errorf("%s: %s resource %s, want GuardDuty's managed rule name pattern", s.env.Name, sid, res)
				}
			case "AllowGuardDutyToMonitorEventBridgeManagedRule":
				wantActions = `["events:DescribeRule","events:ListTargetsByRule"]`
				if !ruleRes.MatchString(res) {
					t.Errorf("%s: %s resource %s", s.env.Name, sid, res)
				}
			case "AllowPostScanTag":
				wantActions, wantRes = `["s3:GetObjectTagging","s3:GetObjectVersionTagging","s3:PutObjectTagging","s3:PutObjectVersionTagging"]`, prefixRes(s.env.UploadPrefix)
			case "AllowEnableS3EventBridgeEvents":
				wantActions, wantRes = `["s3:GetBucketNotification","s3:PutBucketNotification"]`, bucketARN(bucketLogicalID)
			case "AllowPutValidationObject":
				wantActions, wantRes = `"s3:PutObject"`, `{"Fn::Join":["",[`+bucketARN(bucketLogicalID)+`,"/`+scanning.ValidationObject+`"]]}`
			case "AllowCheckBucketOwnership":
				wantActions, wantRes = `"s3:ListBucket"`, bucketARN(bucketLogicalID)
			case "AllowMalwareScan":
				wantActions, wantRes = `["s3:GetObject","s3:GetObjectVersion"]`, prefixRes(s.env.UploadPrefix)
			case "AllowDecryptForMalwareScan":
				wantActions, wantRes = `["kms:Decrypt","kms:GenerateDataKey"]`, `{"Fn::GetAtt":["`+keyLogicalID+`","Arn"]}`
				if !strings.Contains(js(st["Condition"]), `"kms:ViaService"`) {
					t.Errorf("%s: %s has no kms:ViaService condition", s.env.Name, sid)
				}
			default:
				t.Errorf("%s: unexpected statement %s", s.env.Name, js(st))
				continue
			}
			if got := js(st["Action"]); got != wantActions {
				t.Errorf("%s: %s actions %s, want %s", s.env.Name, sid, got, wantActions)
			}
			if wantRes != "" && res != wantRes {
				t.Errorf("%s: %s resource %s, want %s", s.env.Name, sid, res, wantRes)
			}
		}
		want := []string{"AllowManagedRuleToSendS3EventsToGuardDuty", "AllowGuardDutyToMonitorEventBridgeManagedRule", "AllowPostScanTag",
			"AllowEnableS3EventBridgeEvents", "AllowPutValidationObject", "AllowCheckBucketOwnership", "AllowMalwareScan"}
		if s.env.Encryption == config.EncryptionKMS {
			want = append(want, "AllowDecryptForMalwareScan")
		}
		if !slices.Equal(sids, want) {
			t.Errorf("%s: statements %v, want %v", s.env.Name, sids, want)
		}
	}
}

func TestBucketPolicyDeniesPresignedGetsUntilScannedClean(t *testing.T) {
	for _, s := range []*synthesized{synthEnv(t, "prod"), synthEnv(t, "staging"), opsVariant(t)} {
		st := statementBySid(bucketPolicyFor(t, s.storage, bucketLogicalID), policy.SidDenyUnscanned)
		want := `{"Action":"s3:GetObject","Condition":{"StringEquals":{"s3:authType":"REST-QUERY-STRING"},` +
			`"StringNotEquals":{"s3:ExistingObjectTag/` + sconfig.ScanStatusTag + `":"` + sconfig.ScanStatusClean + `"}},` +
			`"Effect":"Deny","Principal":"*","Resource":{"Fn::Join":["",[` + bucketARN(bucketLogicalID) + `,"/` + s.env.UploadPrefix + `*"]]},` +
			`"Sid":"` + policy.SidDenyUnscanned + `"}`
		if got := js(st); got != want {
			t.Errorf("%s: scan Deny\n got %s\nwant %s", s.env.Name, got, want)
		}
	}
	// Control: without scanning the statement would refuse every download.
	if st := statementBySid(bucketPolicyFor(t, synthEnv(t, "dev").storage, bucketLogicalID), policy.SidDenyUnscanned); st != nil {
		t.Errorf("dev (no scanning) has the scan Deny: %s", js(st))
	}
}

func TestSignerChecksTagsOnlyWithScanning(t *testing.T) {
	for _, c := range []struct {
		s    *synthesized
		scan bool
	}{{synthEnv(t, "prod"), true}, {opsVariant(t), true}, {synthEnv(t, "dev"), false}} {
		env := containerEnv(t, c.s)
		got, ok := env[sconfig.EnvScanCheck]
		if c.scan != ok || (ok && got != `"true"`) {
			t.Errorf("%s: %s = %s (set %v), want set to true only with scanning", c.s.env.Name, sconfig.EnvScanCheck, got, ok)
		}
		role := taskRoleID(t, c.s.service)
		var tagging bool
		for _, st := range policiesOf(c.s.service, "Roles", role) {
			tagging = tagging || slices.Contains(actions(st), "s3:GetObjectTagging")
		}
		if c.s.env.Signing == config.SigningRole && tagging != c.scan {
			t.Errorf("%s: task role has s3:GetObjectTagging = %v, want %v", c.s.env.Name, tagging, c.scan)
		}
	}
}

func TestOpsVariantPassesCdkNag(t *testing.T) {
	s := opsVariant(t)
	for stack, errs := range s.errors {
		for _, e := range errs {
			t.Errorf("%s: %s", stack, e)
		}
	}
}
