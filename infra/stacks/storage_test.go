package stacks_test

import (
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/policy"
	"github.com/s3presign/s3presign/infra/secrets"
	"github.com/s3presign/s3presign/infra/storage"
)

// Logical IDs of every stateful resource. A change here replaces (or
// orphans) a bucket, key or secret on the next deploy: it must be a decision,
// never the side effect of a refactor.
const (
	bucketLogicalID    = "StorageUploadsBDC5E374"
	logBucketLogicalID = "StorageAccessLogs96FB524C"
	keyLogicalID       = "StorageKeyBAA9457B"
	tokenKeyLogicalID  = "SecretsTokenKeyDB23CA28"
	apiKeysLogicalID   = "SecretsApiKeys7AB8F12A"
	// signing: user — replacing these would rotate the signing credentials
	// (and orphan the secret's value) on the next deploy.
	signingUserKeysLogicalID      = "SecretsSigningUserKeysC76A8065"
	signingUserLogicalID          = "SecretsSigningUser4BE3D32A"
	signingUserAccessKeyLogicalID = "SecretsSigningUserAccessKey78E97CE8"
)

var envNames = []string{"dev", "staging", "prod"}

func TestStatefulLogicalIDsArePinned(t *testing.T) {
	all := []*synthesized{synthEnv(t, "dev"), synthEnv(t, "staging"), synthEnv(t, "prod"), variant(t)}
	for _, s := range all {
		name := s.env.Name
		want := map[string]string{
			bucketLogicalID:    "AWS::S3::Bucket",
			logBucketLogicalID: "AWS::S3::Bucket",
			tokenKeyLogicalID:  "AWS::SecretsManager::Secret",
		}
		if s.env.Encryption == config.EncryptionKMS {
			want[keyLogicalID] = "AWS::KMS::Key"
		}
		if s.env.AuthMode == config.AuthAPIKey {
			want[apiKeysLogicalID] = "AWS::SecretsManager::Secret"
		}
		if len(s.env.AlarmEmails) > 0 {
			want[alarmTopicKeyLogicalID] = "AWS::KMS::Key"
		}
		if s.env.Signing == config.SigningUser {
			want[signingUserKeysLogicalID] = "AWS::SecretsManager::Secret"
			want[signingUserLogicalID] = "AWS::IAM::User"
			want[signingUserAccessKeyLogicalID] = "AWS::IAM::AccessKey"
		}
		res := s.storage["Resources"].(map[string]any)
		for id, typ := range want {
			r, ok := res[id].(map[string]any)
			if !ok || r["Type"] != typ {
				t.Errorf("%s: logical id %s (%s) is gone: renaming a stateful construct replaces it on deploy", name, id, typ)
			}
		}
		// Nothing stateful may hide anywhere else.
		for _, typ := range []string{"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SecretsManager::Secret"} {
			for id := range resources(s.service, typ) {
				t.Errorf("%s: stateful %s %s is in the service stack", name, typ, id)
			}
			for id := range resources(s.storage, typ) {
				if _, ok := want[id]; !ok {
					t.Errorf("%s: unpinned stateful %s %s: add it to the pinned list", name, typ, id)
				}
			}
		}
	}
}

func TestBucketIsPrivateEncryptedVersionedAndLogged(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		b := resources(s.storage, "AWS::S3::Bucket")[bucketLogicalID]
		p := props(b)
		if got, want := js(p["PublicAccessBlockConfiguration"]), `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}`; got != want {
			t.Errorf("%s: public access block %s, want %s", name, got, want)
		}
		if got := js(p["OwnershipControls"]); got != `{"Rules":[{"ObjectOwnership":"BucketOwnerEnforced"}]}` {
			t.Errorf("%s: ownership %s, want BucketOwnerEnforced", name, got)
		}
		if got := js(p["VersioningConfiguration"]); got != `{"Status":"Enabled"}` {
			t.Errorf("%s: versioning %s", name, got)
		}
		if got := js(p["NotificationConfiguration"]); got != `{"EventBridgeConfiguration":{"EventBridgeEnabled":true}}` {
			t.Errorf("%s: notifications %s, want EventBridge on", name, got)
		}
		if got, want := js(p["LoggingConfiguration"]), `{"DestinationBucketName":{"Ref":"`+logBucketLogicalID+`"},"LogFilePrefix":"s3/uploads/"}`; got != want {
			t.Errorf("%s: logging %s, want %s", name, got, want)
		}
		if _, named := p["BucketName"]; named {
			t.Errorf("%s: the bucket has a physical name; let CloudFormation name it", name)
		}
		sse := js(p["BucketEncryption"])
		switch s.env.Encryption {
		case config.EncryptionKMS:
			want := `{"ServerSideEncryptionConfiguration":[{"BucketKeyEnabled":true,"ServerSideEncryptionByDefault":{"KMSMasterKeyID":{"Fn::GetAtt":["` + keyLogicalID + `","Arn"]},"SSEAlgorithm":"aws:kms"}}]}`
			if sse != want {
				t.Errorf("%s: encryption %s, want %s", name, sse, want)
			}
			key := resources(s.storage, "AWS::KMS::Key")[keyLogicalID]
			if props(key)["EnableKeyRotation"] != true {
				t.Errorf("%s: KMS key rotation off", name)
			}
		default:
			if want := `{"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`; sse != want {
				t.Errorf("%s: encryption %s, want %s", name, sse, want)
			}
		}
		wantPolicy := "Delete"
		if s.env.RemovalPolicy == config.RemovalRetain {
			wantPolicy = "Retain"
		}
		for _, id := range []string{bucketLogicalID, logBucketLogicalID} {
			r := resources(s.storage, "AWS::S3::Bucket")[id]
			if r["DeletionPolicy"] != wantPolicy || r["UpdateReplacePolicy"] != wantPolicy {
				t.Errorf("%s: %s DeletionPolicy %v UpdateReplacePolicy %v, want %s", name, id, r["DeletionPolicy"], r["UpdateReplacePolicy"], wantPolicy)
			}
		}
		// No Lambda-backed helpers (autoDeleteObjects, the L2 EventBridge switch).
		for _, typ := range []string{"AWS::Lambda::Function", "Custom::S3AutoDeleteObjects", "Custom::S3BucketNotifications"} {
			if n := len(resources(s.storage, typ)); n != 0 {
				t.Errorf("%s: storage stack has %d %s", name, n, typ)
			}
		}
	}
	if prod := synthEnv(t, "prod"); prod.env.RemovalPolicy != config.RemovalRetain {
		t.Error("prod must retain its stateful resources")
	}
}

func TestBucketLifecycle(t *testing.T) {
	s := synthEnv(t, "dev")
	p := props(resources(s.storage, "AWS::S3::Bucket")[bucketLogicalID])
	want := `{"Rules":[` +
		`{"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":1},"Id":"abort-incomplete-multipart-uploads","Status":"Enabled"},` +
		`{"ExpiredObjectDeleteMarker":true,"Id":"expire-noncurrent-versions","NoncurrentVersionExpiration":{"NoncurrentDays":7},"Status":"Enabled"}]}`
	if got := js(p["LifecycleConfiguration"]); got != want {
		t.Errorf("lifecycle\n got %s\nwant %s", got, want)
	}
	prod := synthEnv(t, "prod")
	if got := dig(props(resources(prod.storage, "AWS::S3::Bucket")[bucketLogicalID]), "LifecycleConfiguration"); !strings.Contains(js(got), `"NoncurrentDays":90`) {
		t.Errorf("prod lifecycle %s, want noncurrent expiry after 90 days", js(got))
	}
}

func TestLogBucket(t *testing.T) {
	s := synthEnv(t, "dev")
	p := props(resources(s.storage, "AWS::S3::Bucket")[logBucketLogicalID])
	checks := map[string]string{
		"PublicAccessBlockConfiguration": `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}`,
		"BucketEncryption":               `{"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`,
		"OwnershipControls":              `{"Rules":[{"ObjectOwnership":"BucketOwnerEnforced"}]}`,
		"LifecycleConfiguration":         `{"Rules":[{"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":1},"ExpirationInDays":30,"Id":"expire-access-logs","Status":"Enabled"}]}`,
	}
	for key, want := range checks {
		if got := js(p[key]); got != want {
			t.Errorf("log bucket %s\n got %s\nwant %s", key, got, want)
		}
	}
	if !hasTLSDeny(bucketPolicyFor(t, s.storage, logBucketLogicalID), logBucketLogicalID) {
		t.Error("log bucket policy has no TLS-only Deny")
	}
}

// bucketPolicyFor returns the statements of the policy attached to a bucket.
func bucketPolicyFor(t *testing.T, tmpl map[string]any, bucketID string) []map[string]any {
	t.Helper()
	for _, r := range resources(tmpl, "AWS::S3::BucketPolicy") {
		if js(dig(props(r), "Bucket")) == `{"Ref":"`+bucketID+`"}` {
			var out []map[string]any
			for _, st := range dig(props(r), "PolicyDocument", "Statement").([]any) {
				out = append(out, st.(map[string]any))
			}
			return out
		}
	}
	t.Fatalf("no bucket policy for %s", bucketID)
	return nil
}

func statementBySid(sts []map[string]any, sid string) map[string]any {
	for _, st := range sts {
		if st["Sid"] == sid {
			return st
		}
	}
	return nil
}

func bucketARN(id string) string  { return `{"Fn::GetAtt":["` + id + `","Arn"]}` }
func objectsARN(id string) string { return `{"Fn::Join":["",[` + bucketARN(id) + `,"/*"]]}` }

func hasTLSDeny(sts []map[string]any, bucketID string) bool {
	for _, st := range sts {
		p := js(st["Principal"])
		if st["Effect"] == "Deny" && js(st["Action"]) == `"s3:*"` && (p == `"*"` || p == `{"AWS":"*"}`) &&
			js(st["Condition"]) == `{"Bool":{"aws:SecureTransport":"false"}}` &&
			js(st["Resource"]) == "["+bucketARN(bucketID)+","+objectsARN(bucketID)+"]" {
			return true
		}
	}
	return false
}

func TestBucketPolicyTLSAndSignatureAge(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		sts := bucketPolicyFor(t, s.storage, bucketLogicalID)
		if !hasTLSDeny(sts, bucketLogicalID) {
			t.Errorf("%s: no TLS-only Deny (enforceSSL) on the upload bucket", name)
		}
		age := statementBySid(sts, policy.SidDenyOldSignatures)
		if age == nil {
			t.Fatalf("%s: no signatureAge statement", name)
		}
		want := `{"Action":"s3:*","Condition":{"NumericGreaterThan":{"s3:signatureAge":"3600000"},"StringEquals":{"s3:authType":"REST-QUERY-STRING"}},` +
			`"Effect":"Deny","Principal":"*","Resource":[` + bucketARN(bucketLogicalID) + "," + objectsARN(bucketLogicalID) + `],"Sid":"DenyPresignedOlderThanMaxExpiry"}`
		if got := js(age); got != want {
			t.Errorf("%s: signatureAge statement\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestRefererStatementFullConditionBlock(t *testing.T) {
	s := synthEnv(t, "prod")
	st := statementBySid(bucketPolicyFor(t, s.storage, bucketLogicalID), policy.SidDenyForeignReferer)
	want := `{"Action":"s3:GetObject","Condition":{"StringEquals":{"s3:authType":"REST-QUERY-STRING"},"StringNotLike":{"aws:Referer":"https://app.example.com/*"}},` +
		`"Effect":"Deny","Principal":"*","Resource":` + objectsARN(bucketLogicalID) + `,"Sid":"DenyPresignedGetWithoutAllowedReferer"}`
	if got := js(st); got != want {
		t.Errorf("prod referer statement\n got %s\nwant %s", got, want)
	}

	v := variant(t)
	st = statementBySid(bucketPolicyFor(t, v.storage, bucketLogicalID), policy.SidDenyForeignReferer)
	want = `{"Action":"s3:GetObject","Condition":{` +
		`"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::123456789012:role/backup","arn:aws:iam::123456789012:role/thumbnailer-*"]},` +
		`"StringEquals":{"s3:authType":"REST-QUERY-STRING"},` +
		`"StringNotLike":{"aws:Referer":["https://a.example.com/*","https://b.example.com/gallery/*"]}},` +
		`"Effect":"Deny","Principal":"*","Resource":` + objectsARN(bucketLogicalID) + `,"Sid":"DenyPresignedGetWithoutAllowedReferer"}`
	if got := js(st); got != want {
		t.Errorf("referer statement with exemptions\n got %s\nwant %s", got, want)
	}
}

func TestEmptyRefererListDropsTheStatement(t *testing.T) {
	bare := bareVariant(t)
	if st := statementBySid(bucketPolicyFor(t, bare.storage, bucketLogicalID), policy.SidDenyForeignReferer); st != nil {
		t.Errorf("referer statement present with no referers: %s", js(st))
	}
	// Control: the committed dev config has referers and gets the statement.
	if st := statementBySid(bucketPolicyFor(t, synthEnv(t, "dev").storage, bucketLogicalID), policy.SidDenyForeignReferer); st == nil {
		t.Error("control: dev has no referer statement")
	}
}

func TestCORS(t *testing.T) {
	s := synthEnv(t, "prod")
	p := props(resources(s.storage, "AWS::S3::Bucket")[bucketLogicalID])
	want := `{"CorsRules":[{"AllowedHeaders":["content-type","if-none-match","x-amz-*"],"AllowedMethods":["PUT","POST","GET"],` +
		`"AllowedOrigins":["https://app.example.com"],"ExposedHeaders":["ETag"],"Id":"BrowserUploadsAndDownloads","MaxAge":3000}]}`
	if got := js(p["CorsConfiguration"]); got != want {
		t.Errorf("CORS\n got %s\nwant %s", got, want)
	}
	bare := bareVariant(t)
	if c, ok := props(resources(bare.storage, "AWS::S3::Bucket")[bucketLogicalID])["CorsConfiguration"]; ok {
		t.Errorf("no origins configured, got CORS %s", js(c))
	}
}

func TestAPIKeysSecretStartsWithTheUnusablePlaceholder(t *testing.T) {
	s := synthEnv(t, "prod")
	r := resources(s.storage, "AWS::SecretsManager::Secret")[apiKeysLogicalID]
	if got := props(r)["SecretString"]; got != secrets.PlaceholderAPIKeys {
		t.Errorf("API-keys secret value %q, want the placeholder (changing it would overwrite stored keys on deploy)", got)
	}
	// Control: OIDC needs no API-key secret, only the token key.
	if v := variant(t); len(resources(v.storage, "AWS::SecretsManager::Secret")) != 2 {
		t.Errorf("oidc variant (signing user): %d secrets, want the token key and the signing user's keys", len(resources(v.storage, "AWS::SecretsManager::Secret")))
	}
}

// Every service that may write into the log bucket is held to this account's
// own resources by aws:SourceAccount or aws:SourceArn (confused deputy), and
// no other account (such as a region's legacy ELB account) is granted.
func TestLogDeliveryGrantsNameTheSource(t *testing.T) {
	for _, name := range envNames {
		s := synthEnv(t, name)
		var elb map[string]any
		allows := 0
		for _, st := range bucketPolicyFor(t, s.storage, logBucketLogicalID) {
			if st["Effect"] != "Allow" {
				continue
			}
			allows++
			if dig(st, "Principal", "AWS") != nil || dig(st, "Principal", "Service") == nil {
				t.Errorf("%s: log bucket grants a principal that is not a service: %s", name, js(st))
			}
			keys := map[string]bool{}
			for _, kv := range asMap(st["Condition"]) {
				for k := range asMap(kv) {
					keys[k] = true
				}
			}
			if !keys["aws:SourceAccount"] && !keys["aws:SourceArn"] {
				t.Errorf("%s: log-delivery statement without aws:SourceAccount or aws:SourceArn: %s", name, js(st))
			}
			if dig(st, "Principal", "Service") == storage.ELBLogDeliveryPrincipal {
				elb = st
			}
		}
		if allows == 0 {
			t.Fatalf("%s: no log-delivery statements on the log bucket", name)
		}
		account := `{"Ref":"AWS::AccountId"}`
		if s.env.Account != "" {
			account = `"` + s.env.Account + `"`
		}
		if elb == nil || js(elb["Action"]) != `"s3:PutObject"` ||
			js(dig(elb, "Condition", "StringEquals", "aws:SourceAccount")) != account ||
			!strings.Contains(js(elb["Resource"]), "/"+storage.ALBLogPrefix+"/AWSLogs/") {
			t.Errorf("%s: load balancer log statement %s, want PutObject under %s/AWSLogs/<account>/ for %s from account %s",
				name, js(elb), storage.ALBLogPrefix, storage.ELBLogDeliveryPrincipal, account)
		}
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
