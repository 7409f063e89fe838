package iamx

import (
	"strings"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// PrefixWildcardReason explains the one wildcard in the signer's grants.
const PrefixWildcardReason = "Object keys are generated per upload, so the grant must be a prefix pattern: " +
	"exactly s3:PutObject, s3:GetObject, s3:AbortMultipartUpload and s3:ListMultipartUploadParts (and s3:GetObjectTagging when malware scanning is on) on bucket/<uploadPrefix>*, nothing on the bucket itself, no other bucket."

// PrefixWildcard is the cdk-nag AwsSolutions-IAM5 suppression for exactly
// the resource bucket/<prefix>*, and nothing else: any other wildcard in the
// same policy still fails. The bucket ARN appears as <LogicalId.Arn> in its
// own stack and as an Fn::GetStackOutput (a weak cross-stack reference) in
// the service stack.
func PrefixWildcard(prefix string) *cdknag.NagPackSuppression {
	return &cdknag.NagPackSuppression{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String(PrefixWildcardReason),
		AppliesTo: &[]any{map[string]any{"regex": `/^Resource::(<[A-Za-z0-9]+\.Arn>|\{"Fn::GetStackOutput":.*"OutputName":"[A-Za-z0-9]+"\}\})\/` + jsRegexQuote(prefix) + `\*$/`}},
	}
}

// jsRegexQuote escapes every character that is not a letter or digit.
func jsRegexQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
			continue
		}
		b.WriteByte('\\')
		b.WriteRune(r)
	}
	return b.String()
}
