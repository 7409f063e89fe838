package stacks_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
)

// scanRoleLogicalIDPrefix starts the logical id of GuardDuty's scan role.
const scanRoleLogicalIDPrefix = "ScanningRole"

const signerActions = `["s3:AbortMultipartUpload","s3:GetObject","s3:ListMultipartUploadParts","s3:PutObject"]`

// signerResource matches exactly arn-of-the-upload-bucket + "/<prefix>*", by
// direct reference (storage stack) or weak cross-stack reference (service).
func signerResource(prefix string) *regexp.Regexp {
	return regexp.MustCompile(`^\{"Fn::Join":\["",\[(` +
		`\{"Fn::GetAtt":\["` + bucketLogicalID + `","Arn"\]\}|` +
		`\{"Fn::GetStackOutput":\{"OutputName":"PublishOutputFnGetAtt` + bucketLogicalID + `Arn[0-9A-F]+","Region":[^}]*\}?,"StackName":"s3presign-[a-z]+-storage"\}\}` +
		`),"/` + regexp.QuoteMeta(prefix) + `\*"\]\]\}$`)
}

var kmsResource = regexp.MustCompile(`^(\{"Fn::GetAtt":\["` + keyLogicalID + `","Arn"\]\}|` +
	`\{"Fn::GetStackOutput":\{"OutputName":"PublishOutputFnGetAtt` + keyLogicalID + `Arn[0-9A-F]+","Region":[^}]*\}?,"StackName":"s3presign-[a-z]+-storage"\}\})$`)

// identityStatements returns every statement of every identity policy in a
// template (AWS::IAM::Policy and ManagedPolicy documents, such as the
// notification consumer's, and roles' inline policies), keyed by
// "<logical id>#<index>".
func identityStatements(tmpl map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	add := func(id string, doc any) {
		sts, _ := dig(doc, "Statement").([]any)
		for i, st := range sts {
			out[id+"#"+strconv.Itoa(i)] = st.(map[string]any)
		}
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for id, r := range resources(tmpl, typ) {
			add(id, props(r)["PolicyDocument"])
		}
	}
	for id, r := range resources(tmpl, "AWS::IAM::Role") {
		pols, _ := props(r)["Policies"].([]any)
		for _, p := range pols {
			add(id, dig(p, "PolicyDocument"))
		}
	}
	// CDK's own custom-resource provider roles are AWS::IAM::Role too, but
	// may be rendered as raw resources with a Properties.Policies list: covered above.
	return out
}

func actions(st map[string]any) []string {
	switch a := st["Action"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

// signerActionsWithScan are signerActions plus s3:GetObjectTagging, the
// signer's actions when malware scanning is on.
const signerActionsWithScan = `["s3:AbortMultipartUpload","s3:GetObject","s3:GetObjectTagging","s3:ListMultipartUploadParts","s3:PutObject"]`

// checkSignerStatement reports why st is not exactly the signer's S3 statement.
func checkSignerStatement(t *testing.T, where, prefix string, st map[string]any) {
	t.Helper()
	want := signerActions
	if js(st["Action"]) == signerActionsWithScan {
		want = signerActionsWithScan // TestSignerChecksTagsOnlyWithScanning checks when
	}
	if st["Effect"] != "Allow" || js(st["Action"]) != want || st["Condition"] != nil || st["NotAction"] != nil || st["NotResource"] != nil {
		t.Errorf("%s: S3 statement %s, want exactly Allow %s", where, js(st), want)
	}
	if !signerResource(prefix).MatchString(js(st["Resource"])) {
		t.Errorf("%s: S3 statement resource %s, want exactly the upload bucket's ARN + \"/%s*\"", where, js(st["Resource"]), prefix)
	}
}

func TestNoIdentityPolicyHasWildcardActionsOrOtherS3Rights(t *testing.T) {
	all := map[string]*synthesized{"dev": synthEnv(t, "dev"), "staging": synthEnv(t, "staging"), "prod": synthEnv(t, "prod"), "variant": variant(t)}
	for name, s := range all {
		for stack, tmpl := range map[string]map[string]any{"storage": s.storage, "service": s.service} {
			for id, st := range identityStatements(tmpl) {
				where := name + "/" + stack + "/" + id
				if strings.HasPrefix(id, scanRoleLogicalIDPrefix) {
					continue // GuardDuty's scan role: TestMalwareProtectionRoleHasTheDocumentedPermissionsOnly
				}
				if st["NotAction"] != nil || st["NotResource"] != nil {
					t.Errorf("%s: NotAction/NotResource grants everything else: %s", where, js(st))
				}
				var s3, kms bool
				for _, a := range actions(st) {
					// Any "*" or "?" in an action is a pattern (s3:*, s3:Get*,
					// kms:GenerateDataKey*), which grants more than it names.
					if strings.ContainsAny(a, "*?") {
						t.Errorf("%s: wildcard action %q in %s", where, a, js(st))
					}
					s3 = s3 || strings.HasPrefix(a, "s3:")
					kms = kms || strings.HasPrefix(a, "kms:")
				}
				if s3 {
					checkSignerStatement(t, where, s.env.UploadPrefix, st)
				}
				if kms {
					want := `{"Action":["kms:Decrypt","kms:GenerateDataKey"],"Condition":{"StringEquals":{"kms:ViaService":{"Fn::Join":["",["s3.",{"Ref":"AWS::Region"},".amazonaws.com"]]}}},"Effect":"Allow",`
					if !strings.HasPrefix(js(st), want) || !kmsResource.MatchString(js(st["Resource"])) {
						t.Errorf("%s: KMS statement %s, want only Decrypt and GenerateDataKey on the bucket key through S3", where, js(st))
					}
				}
			}
		}
	}
}

// policiesOf returns the statements of the AWS::IAM::Policy resources
// attached to a role (by Ref) or user.
func policiesOf(tmpl map[string]any, field, ref string) []map[string]any {
	var out []map[string]any
	for _, r := range resources(tmpl, "AWS::IAM::Policy") {
		if strings.Contains(js(props(r)[field]), `{"Ref":"`+ref+`"}`) {
			for _, st := range dig(props(r), "PolicyDocument", "Statement").([]any) {
				out = append(out, st.(map[string]any))
			}
		}
	}
	return out
}

func taskRoleID(t *testing.T, tmpl map[string]any) string {
	t.Helper()
	_, td := only(t, tmpl, "AWS::ECS::TaskDefinition")
	ref := js(props(td)["TaskRoleArn"])
	for id := range resources(tmpl, "AWS::IAM::Role") {
		if ref == `{"Fn::GetAtt":["`+id+`","Arn"]}` {
			return id
		}
	}
	t.Fatalf("task role %s not found", ref)
	return ""
}

func TestTaskRoleIsScopedToThePrefix(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		sts := policiesOf(s.service, "Roles", taskRoleID(t, s.service))
		want := 1
		if s.env.Encryption == config.EncryptionKMS {
			want++
		}
		if s.env.AuthMode == config.AuthAPIKey {
			want++ // the API-key secret: TestTaskRoleReadsTheAPIKeySecretOnly
		}
		if len(sts) != want {
			t.Fatalf("%s: task role has %d statements, want %d: %s", name, len(sts), want, js(sts))
		}
		checkSignerStatement(t, name+" task role", s.env.UploadPrefix, sts[0])
		if sid := sts[0]["Sid"]; sid != "SignerObjectsUnderUploadPrefix" {
			t.Errorf("%s: first statement %v, want the signer statement", name, sid)
		}
	}
}

// In mode apikey the task role (the signer's own credentials, which reload
// the keys) may read the API-key secret's value, and nothing else of
// Secrets Manager; the execution role no longer reads it, since ECS no
// longer injects it. Without API keys the task role gets no such right.
func TestTaskRoleReadsTheAPIKeySecretOnly(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		var got []string
		for _, st := range policiesOf(s.service, "Roles", taskRoleID(t, s.service)) {
			for _, a := range actions(st) {
				if strings.HasPrefix(a, "secretsmanager:") {
					got = append(got, js(st))
				}
			}
		}
		if s.env.AuthMode != config.AuthAPIKey {
			if len(got) != 0 {
				t.Errorf("%s (auth %s): the task role reads secrets: %v", name, s.env.AuthMode, got)
			}
			continue
		}
		want := regexp.MustCompile(`^\{"Action":"secretsmanager:GetSecretValue","Effect":"Allow","Resource":\{"Fn::GetStackOutput":\{"OutputName":"PublishOutputRef` + apiKeysLogicalID + `[0-9A-F]{8}","Region":("[a-z0-9-]+"|\{"Ref":"AWS::Region"\}),"StackName":"s3presign-` + name + `-storage"\}\},"Sid":"SignerReadsAPIKeySecret"\}$`)
		if len(got) != 1 || !want.MatchString(got[0]) {
			t.Errorf("%s: task role's Secrets Manager statements %v, want exactly GetSecretValue on the API-key secret", name, got)
		}
		_, td := only(t, s.service, "AWS::ECS::TaskDefinition")
		execRole := strings.TrimSuffix(strings.TrimPrefix(js(props(td)["ExecutionRoleArn"]), `{"Fn::GetAtt":["`), `","Arn"]}`)
		execPolicies := js(policiesOf(s.service, "Roles", execRole))
		if !strings.Contains(execPolicies, "secretsmanager:GetSecretValue") {
			t.Errorf("%s: control: the execution role reads no secret (the token key is injected): %s", name, execPolicies)
		}
		if strings.Contains(execPolicies, apiKeysLogicalID) {
			t.Errorf("%s: the execution role still reads the API-key secret: %s", name, execPolicies)
		}
	}
}

func TestSigningUserHasTheSameScopeAndTheTaskRoleNone(t *testing.T) {
	v := variant(t)
	if sts := policiesOf(v.service, "Roles", taskRoleID(t, v.service)); len(sts) != 0 {
		t.Errorf("signing user mode: the task role has rights %s, want none", js(sts))
	}
	users := resources(v.storage, "AWS::IAM::User")
	if len(users) != 1 {
		t.Fatalf("got %d IAM users, want 1", len(users))
	}
	for id := range users {
		sts := policiesOf(v.storage, "Users", id)
		if len(sts) != 2 {
			t.Fatalf("user has %d statements, want the signer and KMS ones: %s", len(sts), js(sts))
		}
		checkSignerStatement(t, "signing user", v.env.UploadPrefix, sts[0])
		if n := len(resources(v.storage, "AWS::IAM::AccessKey")); n != 1 {
			t.Errorf("got %d access keys, want 1", n)
		}
	}
	// Control: role mode has no IAM user.
	if n := len(resources(synthEnv(t, "dev").storage, "AWS::IAM::User")); n != 0 {
		t.Errorf("role mode: got %d IAM users, want 0", n)
	}
}
