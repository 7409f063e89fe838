package policy

import (
	"slices"
	"strconv"

	"github.com/s3presign/s3presign/infra/config"
	sconfig "github.com/s3presign/s3presign/signer/config"
)

// Statement ids of the upload bucket's policy.
const (
	// SidDenyInsecureTransport refuses every request not made over TLS (what
	// the CDK's enforceSSL renders, kept here so the local stack sees it too).
	SidDenyInsecureTransport = "DenyInsecureTransport"
	// SidDenyOldSignatures refuses presigned requests whose signature is older
	// than the environment's maxExpiry, so no URL outlives the policy even if
	// a signer is misconfigured.
	SidDenyOldSignatures = "DenyPresignedOlderThanMaxExpiry"
	// SidDenyForeignReferer refuses presigned GETs whose Referer is not one of
	// the allowed pages (the original design's hot-link guard).
	SidDenyForeignReferer = "DenyPresignedGetWithoutAllowedReferer"
	// SidDenyUnscanned refuses presigned GETs of uploads that GuardDuty has
	// not tagged NO_THREATS_FOUND (malwareScanning only).
	SidDenyUnscanned = "DenyPresignedGetUnlessScannedClean"
	// SidDenyScanTagWrites refuses writing or deleting object tags under the
	// upload prefix to everyone but GuardDuty's scan role (malwareScanning
	// only), so nobody can forge the tag the download Deny trusts.
	SidDenyScanTagWrites = "DenyTagWritesUnderUploadPrefixExceptScanner"
)

// TagWriteActions are every action that sets or removes an object's tags.
// s3:PutObjectTagging is also what S3 checks for a PutObject that carries
// tags (x-amz-tagging), so the Deny covers tagged uploads too.
var TagWriteActions = []string{
	"s3:DeleteObjectTagging",
	"s3:DeleteObjectVersionTagging",
	"s3:PutObjectTagging",
	"s3:PutObjectVersionTagging",
}

// Condition keys and values used by the statements.
const (
	// KeySecureTransport is true when the request came over TLS.
	KeySecureTransport = "aws:SecureTransport"
	// KeyAuthType is how the request was authenticated: REST-HEADER,
	// REST-QUERY-STRING (presigned URL) or POST (browser form).
	KeyAuthType = "s3:authType"
	// KeySignatureAge is the age of the request's signature in milliseconds.
	KeySignatureAge = "s3:signatureAge"
	// KeyReferer is the request's Referer header, set by the client.
	KeyReferer = "aws:Referer"
	// KeyPrincipalArn is the ARN of the calling principal.
	KeyPrincipalArn = "aws:PrincipalArn"
	// AuthTypePresigned is s3:authType's value for presigned URLs.
	AuthTypePresigned = "REST-QUERY-STRING"
	// KeyExistingObjectTagPrefix starts the condition keys that read an
	// existing object's tags: s3:ExistingObjectTag/<tag key>.
	KeyExistingObjectTagPrefix = "s3:ExistingObjectTag/"
	// KeyScanStatus is the object's malware scan tag as a condition key.
	KeyScanStatus = KeyExistingObjectTagPrefix + sconfig.ScanStatusTag
	// ScanStatusClean is the only scan status the Deny lets through.
	ScanStatusClean = sconfig.ScanStatusClean
)

// ScanActions are the signer's extra actions when malware scanning is on:
// reading an object's tags lets it answer "scan pending" or "threat found"
// before handing out a URL the bucket policy would refuse.
var ScanActions = []string{"s3:GetObjectTagging"}

// SignerActions are the only actions the signer's credentials (task role,
// IAM user, local user) may perform, and only under the upload prefix:
// PutObject covers PUT, POST-form, CreateMultipartUpload, UploadPart and
// CompleteMultipartUpload; the two multipart actions let a signer list parts
// to resume and abort an upload (browser multipart uploads, Uppy's among them).
var SignerActions = []string{
	"s3:AbortMultipartUpload",
	"s3:GetObject",
	"s3:ListMultipartUploadParts",
	"s3:PutObject",
}

// ObjectsARN returns the ARN pattern of every object in the bucket.
func ObjectsARN(bucketARN string) string { return bucketARN + "/*" }

// PrefixARN returns the ARN pattern of every object under prefix.
func PrefixARN(bucketARN, prefix string) string { return bucketARN + "/" + prefix + "*" }

// BucketARN returns the ARN of a bucket by name in the aws partition (for
// the local stack; the CDK passes its own ARN token instead).
func BucketARN(name string) string { return "arn:aws:s3:::" + name }

// BucketPolicy returns the upload bucket's policy for env. bucketARN may be a
// CDK token. Statements, in order:
//   - DenyInsecureTransport: s3:* over plain HTTP.
//   - DenyPresignedOlderThanMaxExpiry: s3:* for presigned requests
//     (s3:authType REST-QUERY-STRING) with s3:signatureAge > maxExpiry in ms.
//   - DenyPresignedGetWithoutAllowedReferer, only when allowedReferers is not
//     empty: s3:GetObject by anyone, presigned only, whose aws:Referer
//     matches none of the pages, unless the caller's ARN matches one of
//     exemptPrincipalArns. It stops other sites from embedding our download
//     URLs; it is not authentication (clients choose their Referer, and
//     privacy tools strip it).
//   - DenyPresignedGetUnlessScannedClean, only when malwareScanning is on:
//     s3:GetObject by anyone, presigned only, on the upload prefix, unless
//     the object's GuardDutyMalwareScanStatus tag is NO_THREATS_FOUND. A
//     missing tag (scan pending) is refused too: StringNotEquals matches when
//     the key is absent. Header-signed reads (GuardDuty's own scan, backups,
//     the signer's tag lookups) are not presigned, so they are not affected.
func BucketPolicy(env config.Environment, bucketARN string) Document {
	resources := []string{bucketARN, ObjectsARN(bucketARN)}
	doc := Document{Version: Version, Statement: []Statement{
		{
			Sid:       SidDenyInsecureTransport,
			Effect:    Deny,
			Principal: Everyone(),
			Action:    []string{"s3:*"},
			Resource:  resources,
			Condition: Condition{"Bool": {KeySecureTransport: {"false"}}},
		},
		{
			Sid:       SidDenyOldSignatures,
			Effect:    Deny,
			Principal: Everyone(),
			Action:    []string{"s3:*"},
			Resource:  resources,
			Condition: Condition{
				"NumericGreaterThan": {KeySignatureAge: {strconv.FormatInt(env.MaxExpiry.Milliseconds(), 10)}},
				"StringEquals":       {KeyAuthType: {AuthTypePresigned}},
			},
		},
	}}
	if len(env.AllowedReferers) > 0 {
		cond := Condition{
			"StringNotLike": {KeyReferer: append([]string(nil), env.AllowedReferers...)},
			"StringEquals":  {KeyAuthType: {AuthTypePresigned}},
		}
		if len(env.ExemptPrincipalArns) > 0 {
			cond["ArnNotLike"] = map[string][]string{KeyPrincipalArn: append([]string(nil), env.ExemptPrincipalArns...)}
		}
		doc.Statement = append(doc.Statement, Statement{
			Sid:       SidDenyForeignReferer,
			Effect:    Deny,
			Principal: Everyone(),
			Action:    []string{"s3:GetObject"},
			Resource:  []string{ObjectsARN(bucketARN)},
			Condition: cond,
		})
	}
	if env.MalwareScanning {
		doc.Statement = append(doc.Statement, Statement{
			Sid:       SidDenyUnscanned,
			Effect:    Deny,
			Principal: Everyone(),
			Action:    []string{"s3:GetObject"},
			Resource:  []string{PrefixARN(bucketARN, env.UploadPrefix)},
			Condition: Condition{
				"StringNotEquals": {KeyScanStatus: {ScanStatusClean}},
				"StringEquals":    {KeyAuthType: {AuthTypePresigned}},
			},
		})
	}
	return doc
}

// ScanTagDeny is the bucket-policy statement that makes the scan tag
// unforgeable: TagWriteActions on bucket/<uploadPrefix>* are denied to every
// principal whose ARN is not scanRoleARN (GuardDuty's Malware Protection
// role, which writes GuardDutyMalwareScanStatus). Without it any in-account
// principal allowed s3:PutObjectTagging could mark an unscanned or infected
// object NO_THREATS_FOUND and make it downloadable. Only with
// malwareScanning; bucketARN and scanRoleARN may be CDK tokens.
func ScanTagDeny(env config.Environment, bucketARN, scanRoleARN string) Statement {
	return Statement{
		Sid:       SidDenyScanTagWrites,
		Effect:    Deny,
		Principal: Everyone(),
		Action:    append([]string(nil), TagWriteActions...),
		Resource:  []string{PrefixARN(bucketARN, env.UploadPrefix)},
		Condition: Condition{"ArnNotEquals": {KeyPrincipalArn: {scanRoleARN}}},
	}
}

// SignerStatement is the signer's identity-policy statement: exactly
// SignerActions (plus ScanActions when malwareScanning is on) on exactly
// bucket/<uploadPrefix>*, nothing on the bucket itself and nothing
// elsewhere. The ECS task role, the optional IAM user and the local stack's
// user all get this one statement.
func SignerStatement(env config.Environment, bucketARN string) Statement {
	actions := append([]string(nil), SignerActions...)
	if env.MalwareScanning {
		actions = append(actions, ScanActions...)
		slices.Sort(actions)
	}
	return Statement{
		Sid:      "SignerObjectsUnderUploadPrefix",
		Effect:   Allow,
		Action:   actions,
		Resource: []string{PrefixARN(bucketARN, env.UploadPrefix)},
	}
}

// SignerKMSStatement lets the signer's credentials use the bucket's KMS key,
// only through S3 in the bucket's region: GenerateDataKey to write (PUT,
// UploadPart) and Decrypt to read and to complete multipart uploads.
// kms:Encrypt is not needed by S3 with SSE-KMS. keyARN and region may be
// CDK tokens.
func SignerKMSStatement(keyARN, region string) Statement {
	return Statement{
		Sid:       "SignerKeyThroughS3",
		Effect:    Allow,
		Action:    []string{"kms:Decrypt", "kms:GenerateDataKey"},
		Resource:  []string{keyARN},
		Condition: Condition{"StringEquals": {"kms:ViaService": {"s3." + region + ".amazonaws.com"}}},
	}
}
