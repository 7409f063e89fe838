package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/s3presign/s3presign/infra/config"
)

// SidAllowLocalSigner is the statement ForVersityGW adds for the local signer user.
const SidAllowLocalSigner = "AllowLocalSigner"

// SidAllowLocalPostObject is the statement ForVersityGW adds so that
// presigned POST form uploads work locally (see ForVersityGW).
const SidAllowLocalPostObject = "AllowLocalPostObject"

// Omission says what ForVersityGW left out of the deployed policy, and why.
// The local stack prints each one at start-up.
type Omission struct {
	// Sid is the statement concerned.
	Sid string
	// What was left out: "statement" or "condition <key>".
	What string
	// Why it was left out.
	Why string
}

// String renders the omission for a start-up log line.
func (o Omission) String() string { return fmt.Sprintf("%s: %s left out: %s", o.Sid, o.What, o.Why) }

// localRule says what to do with a condition key versitygw v1.8.0 cannot
// evaluate like AWS does.
type localRule struct {
	dropStatement bool // the statement exists for this key: drop it whole
	why           string
}

// localRules lists, by rule and not by statement, the condition keys that
// cannot be applied to the local server as they are:
//   - s3:signatureAge and s3:authType: versitygw refuses them (PutBucketPolicy
//     answers 400 MalformedPolicy "Policy has an invalid condition key").
//     A statement that needs s3:signatureAge is dropped. s3:authType is only
//     a narrowing condition, so it is removed and the statement kept: locally
//     the referer Deny then applies to every non-root request, header-signed
//     SDK calls included, not only to presigned URLs.
//   - aws:SecureTransport: the local server speaks plain HTTP, so the key is
//     always false and a TLS-only Deny would refuse everything: dropped.
//   - aws:PrincipalArn: versitygw does not fill it in when it evaluates a
//     bucket policy, and local principals are access keys, not ARNs; the
//     exemption could never match, so the condition is removed.
//   - s3:ExistingObjectTag/<key> (any tag key): versitygw refuses it (400
//     MalformedPolicy, checked against v1.8.0). The statements that use it
//     exist for it (the malware-scan Deny), so they are dropped; locally the
//     signer's scan check (S3PRESIGN_SCAN_CHECK) is what refuses untagged
//     files, and nothing scans them, so leave malwareScanning off for the
//     environment the local stack runs (dev).
//
// A statement whose conditions would all be removed is dropped instead: a
// Deny without conditions would refuse everything.
var localRules = map[string]localRule{
	KeySignatureAge:    {true, "versitygw v1.8.0 refuses the s3:signatureAge condition key (400 MalformedPolicy); URL lifetime is still enforced by X-Amz-Expires"},
	KeySecureTransport: {true, "the local server speaks plain HTTP, so aws:SecureTransport is always false and this Deny would refuse every request"},
	KeyAuthType:        {false, "versitygw v1.8.0 refuses the s3:authType condition key (400 MalformedPolicy); locally the statement applies to every non-root request, header-signed SDK calls included, not only to presigned URLs"},
	KeyPrincipalArn:    {false, "versitygw does not fill aws:PrincipalArn in bucket-policy evaluation and local principals are access keys, so the exemption could never match"},
}

// localPrefixRules are localRules for families of condition keys, by prefix.
var localPrefixRules = map[string]localRule{
	KeyExistingObjectTagPrefix: {true, "versitygw v1.8.0 refuses s3:ExistingObjectTag/* condition keys (400 MalformedPolicy), and nothing scans or tags objects locally; the signer's scan check (S3PRESIGN_SCAN_CHECK) is the local guard"},
}

// ruleFor returns the local rule of a condition key, exact keys first.
func ruleFor(key string) (localRule, bool) {
	if r, ok := localRules[key]; ok {
		return r, true
	}
	for prefix, r := range localPrefixRules {
		if strings.HasPrefix(key, prefix) {
			return r, true
		}
	}
	return localRule{}, false
}

// ForVersityGW returns the bucket policy for env adapted to the local S3
// server (versitygw v1.8.0) by the rules of localRules, plus an explicit
// Allow of SignerActions under the upload prefix for signerPrincipal (the
// local signer's access key id): once a bucket has a policy, versitygw stops
// looking at bucket ownership, whereas AWS would still let the owner in.
//
// It adds one more Allow, s3:PutObject on the bucket's ARN, for the same
// principal: versitygw v1.8.0 checks a POST form upload (POST Object) against
// the bucket's ARN instead of the object's, so a grant that names only
// bucket/<prefix>* would refuse every form upload. AWS checks the object's
// ARN; the POST policy the signer issues pins the exact key either way.
// versitygw refuses s3:PutObject in a statement naming no object pattern, so
// the prefix pattern rides along (it grants nothing new).
//
// It also returns every omission, in statement order, for the caller to print.
func ForVersityGW(env config.Environment, bucketName, signerPrincipal string) (Document, []Omission) {
	arn := BucketARN(bucketName)
	doc, omissions := AdaptForVersityGW(BucketPolicy(env, arn))
	grant := SignerStatement(env, arn)
	grant.Sid = SidAllowLocalSigner
	grant.Principal = &Principal{AWS: []string{signerPrincipal}}
	post := Statement{
		Sid:       SidAllowLocalPostObject,
		Effect:    Allow,
		Principal: &Principal{AWS: []string{signerPrincipal}},
		Action:    []string{"s3:PutObject"},
		Resource:  []string{arn, PrefixARN(arn, env.UploadPrefix)},
	}
	doc.Statement = append(doc.Statement, grant, post)
	return doc, omissions
}

// AdaptForVersityGW applies localRules to every statement of doc.
func AdaptForVersityGW(doc Document) (Document, []Omission) {
	out := Document{Version: doc.Version, Statement: []Statement{}}
	var omissions []Omission
	for _, st := range doc.Statement {
		keys := st.Condition.Keys()
		sort.Strings(keys)
		keys = slices.Compact(keys)

		var drop *Omission
		for _, k := range keys {
			if r, ok := ruleFor(k); ok && r.dropStatement {
				drop = &Omission{Sid: st.Sid, What: "statement", Why: r.why}
				break
			}
		}
		if drop != nil {
			omissions = append(omissions, *drop)
			continue
		}

		adapted := st
		var removed []Omission
		for _, k := range keys {
			if r, ok := ruleFor(k); ok {
				adapted.Condition = adapted.Condition.without(k)
				removed = append(removed, Omission{Sid: st.Sid, What: "condition " + k, Why: r.why})
			}
		}
		if len(removed) > 0 && len(adapted.Condition) == 0 {
			omissions = append(omissions, Omission{Sid: st.Sid, What: "statement", Why: "every condition it had is unsupported locally, and without conditions it would apply to every request"})
			continue
		}
		omissions = append(omissions, removed...)
		out.Statement = append(out.Statement, adapted)
	}
	return out, omissions
}
