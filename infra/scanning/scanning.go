// Package scanning is the malware-scanning construct: a GuardDuty Malware
// Protection for S3 plan on the upload prefix, with object tagging on, and
// the IAM role GuardDuty assumes to scan and tag (the permissions the
// GuardDuty documentation lists for that role, scoped to the prefix), and
// the bucket-policy Deny that keeps everyone else from writing tags there.
//
// With tagging on, GuardDuty tags every new object under the prefix with
// GuardDutyMalwareScanStatus. The bucket policy (infra/policy) refuses
// presigned GETs until that tag says NO_THREATS_FOUND, and the signer's
// scan check answers "scan pending" or "threat found" before that.
package scanning

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsguardduty"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/internal/iamx"
	"github.com/s3presign/s3presign/infra/policy"
)

// Names GuardDuty Malware Protection for S3 uses.
const (
	// ServicePrincipal assumes the plan's role.
	ServicePrincipal = "malware-protection-plan.guardduty.amazonaws.com"
	// ManagedRulePrefix starts the name of the EventBridge rule GuardDuty
	// creates and manages to hear about new objects.
	ManagedRulePrefix = "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3"
	// ValidationObject is the key GuardDuty writes once to check its access.
	ValidationObject = "malware-protection-resource-validation-object"
	// TaggingEnabled is the plan's tagging status that makes GuardDuty tag
	// scanned objects.
	TaggingEnabled = "ENABLED"
	// PolicyName names the role's inline policy.
	PolicyName = "MalwareProtection"
)

// ScanningProps configures NewScanning.
type ScanningProps struct {
	// Env is the validated environment (its UploadPrefix is scanned).
	Env *config.Environment
	// Bucket is the upload bucket.
	Bucket awss3.IBucket
	// Key is the bucket's KMS key, or nil with SSE-S3.
	Key awskms.IKey
}

// Scanning is the protection plan and its role.
type Scanning struct {
	constructs.Construct
	// Role is what GuardDuty assumes to read, scan and tag objects.
	Role awsiam.Role
	// Plan is the Malware Protection plan of the upload prefix.
	Plan awsguardduty.CfnMalwareProtectionPlan
	// PlanID is the plan's id (the "Malware Protection Plan Id" dimension of
	// GuardDuty's CloudWatch metrics).
	PlanID *string
}

// NewScanning builds the role and the plan.
func NewScanning(scope constructs.Construct, id string, props *ScanningProps) *Scanning {
	env := props.Env
	this := constructs.NewConstruct(scope, jsii.String(id))
	s := &Scanning{Construct: this}
	stack := awscdk.Stack_Of(this)

	ruleARN := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("events"),
		Resource:     jsii.String("rule"),
		ResourceName: jsii.String(ManagedRulePrefix + "*"),
	})
	doc := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
		Statements: &[]awsiam.PolicyStatement{},
	})
	for _, st := range Statements(env, *props.Bucket.BucketArn(), *ruleARN, keyARN(props.Key), *stack.Region()) {
		doc.AddStatements(iamx.Statement(st))
	}
	s.Role = awsiam.NewRole(this, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String(ServicePrincipal), nil),
		Description:    jsii.String("s3presign " + env.Name + " GuardDuty Malware Protection for S3: read, scan and tag objects under " + env.UploadPrefix),
		InlinePolicies: &map[string]awsiam.PolicyDocument{PolicyName: doc},
	})

	prefixFinding := iamx.PrefixWildcard(env.UploadPrefix)
	prefixFinding.Reason = jsii.String("GuardDuty scans every new object under the upload prefix, whose keys are generated per upload, so reading and tagging " +
		"must be granted on bucket/<uploadPrefix>*: exactly the actions the GuardDuty documentation lists for the Malware Protection for S3 role.")
	cdknag.NagSuppressions_AddResourceSuppressions(s.Role, &[]*cdknag.NagPackSuppression{
		prefixFinding,
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("GuardDuty creates and manages its own EventBridge rule, named " + ManagedRulePrefix + " plus a suffix it picks; " +
				"the GuardDuty documentation grants the rule actions on that name pattern, and only for rules managed by GuardDuty (events:ManagedBy)."),
			AppliesTo: &[]any{map[string]any{"regex": `/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):events:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]{12}):rule\/` + ManagedRulePrefix + `\*$/`}},
		},
	}, jsii.Bool(true))

	s.Plan = awsguardduty.NewCfnMalwareProtectionPlan(this, jsii.String("Plan"), &awsguardduty.CfnMalwareProtectionPlanProps{
		Role: s.Role.RoleArn(),
		ProtectedResource: &awsguardduty.CfnMalwareProtectionPlan_CFNProtectedResourceProperty{
			S3Bucket: &awsguardduty.CfnMalwareProtectionPlan_S3BucketProperty{
				BucketName:     props.Bucket.BucketName(),
				ObjectPrefixes: jsii.Strings(env.UploadPrefix),
			},
		},
		Actions: &awsguardduty.CfnMalwareProtectionPlan_CFNActionsProperty{
			Tagging: &awsguardduty.CfnMalwareProtectionPlan_CFNTaggingProperty{Status: jsii.String(TaggingEnabled)},
		},
	})
	s.PlanID = s.Plan.AttrMalwareProtectionPlanId()

	// Only this role may write the tag the bucket policy's download Deny
	// trusts (see policy.ScanTagDeny).
	props.Bucket.AddToResourcePolicy(iamx.Statement(policy.ScanTagDeny(*env, *props.Bucket.BucketArn(), *s.Role.RoleArn())))
	return s
}

func keyARN(k awskms.IKey) string {
	if k == nil {
		return ""
	}
	return *k.KeyArn()
}

// Statements are the role's permissions, as the GuardDuty documentation
// lists them for Malware Protection for S3 ("Create or update IAM role
// policy"), with the object statements scoped to the upload prefix:
//   - the EventBridge managed rule GuardDuty creates to hear of new objects
//     (create/delete/targets only when managed by GuardDuty, describe/list);
//   - reading and tagging objects (and versions) under the prefix;
//   - turning on the bucket's EventBridge notifications;
//   - writing the validation object, and listing the bucket (ownership check);
//   - with SSE-KMS (keyARN not ""), decrypting through S3 in region.
//
// bucketARN, ruleARN, keyARN and region may be CDK tokens.
func Statements(env *config.Environment, bucketARN, ruleARN, keyARN, region string) []policy.Statement {
	objects := []string{policy.PrefixARN(bucketARN, env.UploadPrefix)}
	sts := []policy.Statement{
		{
			Sid:       "AllowManagedRuleToSendS3EventsToGuardDuty",
			Effect:    policy.Allow,
			Action:    []string{"events:DeleteRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets"},
			Resource:  []string{ruleARN},
			Condition: policy.Condition{"StringLike": {"events:ManagedBy": {ServicePrincipal}}},
		},
		{
			Sid:      "AllowGuardDutyToMonitorEventBridgeManagedRule",
			Effect:   policy.Allow,
			Action:   []string{"events:DescribeRule", "events:ListTargetsByRule"},
			Resource: []string{ruleARN},
		},
		{
			Sid:      "AllowPostScanTag",
			Effect:   policy.Allow,
			Action:   []string{"s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"},
			Resource: objects,
		},
		{
			Sid:      "AllowEnableS3EventBridgeEvents",
			Effect:   policy.Allow,
			Action:   []string{"s3:GetBucketNotification", "s3:PutBucketNotification"},
			Resource: []string{bucketARN},
		},
		{
			Sid:      "AllowPutValidationObject",
			Effect:   policy.Allow,
			Action:   []string{"s3:PutObject"},
			Resource: []string{bucketARN + "/" + ValidationObject},
		},
		{
			Sid:      "AllowCheckBucketOwnership",
			Effect:   policy.Allow,
			Action:   []string{"s3:ListBucket"},
			Resource: []string{bucketARN},
		},
		{
			Sid:      "AllowMalwareScan",
			Effect:   policy.Allow,
			Action:   []string{"s3:GetObject", "s3:GetObjectVersion"},
			Resource: objects,
		},
	}
	if keyARN != "" {
		sts = append(sts, policy.Statement{
			Sid:       "AllowDecryptForMalwareScan",
			Effect:    policy.Allow,
			Action:    []string{"kms:Decrypt", "kms:GenerateDataKey"},
			Resource:  []string{keyARN},
			Condition: policy.Condition{"StringLike": {"kms:ViaService": {"s3." + region + ".amazonaws.com"}}},
		})
	}
	return sts
}
