package changeguard

import "sort"

// TypeRule is what changeguard knows about one CloudFormation resource type.
type TypeRule struct {
	// Stateful resources hold data that replacement or removal destroys or
	// detaches; replacing or removing one blocks the change.
	Stateful bool
	// Replace lists the properties whose change (including adding or
	// removing them) makes CloudFormation replace the resource: the type's
	// create-only properties, "Update requires: Replacement" in the
	// CloudFormation template reference.
	Replace []string
	// Immutable lists properties CloudFormation refuses to change at all:
	// the update fails instead of replacing the resource (AWS::KMS::Key).
	Immutable []string
}

// Rules is the table changeguard applies. The property lists come from the
// CloudFormation resource provider schemas (createOnlyProperties) and the
// template reference; a type missing here is still checked for removal and
// type changes, only its property-driven replacements are unknown.
var Rules = map[string]TypeRule{
	// Stateful: the objects, the key that encrypts them, the signer's secret,
	// the queued upload events.
	"AWS::S3::Bucket": {
		Stateful: true,
		Replace:  []string{"BucketName", "ObjectLockEnabled"},
	},
	"AWS::KMS::Key": {
		Stateful: true,
		// "If you change the value of the KeySpec, KeyUsage, Origin, or
		// MultiRegion properties of an existing KMS key, the update request
		// fails, regardless of the value of the UpdateReplacePolicy attribute."
		Immutable: []string{"KeySpec", "KeyUsage", "Origin", "MultiRegion"},
	},
	"AWS::SecretsManager::Secret": {
		Stateful: true,
		Replace:  []string{"Name"},
	},
	// The upload notifications queues: replacing one drops the events it
	// holds for a consumer that is down.
	"AWS::SQS::Queue": {
		Stateful: true,
		Replace:  []string{"FifoQueue", "QueueName"},
	},

	// Stateless, listed so their replacements show up in the report
	// (createOnlyProperties of each type's provider schema).
	"AWS::S3::BucketPolicy": {Replace: []string{"Bucket"}},
	"AWS::KMS::Alias":       {Replace: []string{"AliasName"}},
	"AWS::IAM::User":        {Replace: []string{"UserName"}},
	"AWS::IAM::AccessKey":   {Replace: []string{"UserName", "Serial"}},
	"AWS::IAM::Role":        {Replace: []string{"Path", "RoleName"}},
	"AWS::Logs::LogGroup":   {Replace: []string{"LogGroupName"}},
	"AWS::ECS::Service": {
		Replace: []string{"Cluster", "DeploymentController", "LaunchType", "Role", "SchedulingStrategy", "ServiceName"},
	},
	"AWS::EC2::SecurityGroup":                   {Replace: []string{"GroupDescription", "GroupName", "VpcId"}},
	"AWS::ElasticLoadBalancingV2::LoadBalancer": {Replace: []string{"Name", "Scheme", "Type"}},
}

// StatefulTypes returns the resource types whose replacement or removal is
// blocking, sorted.
func StatefulTypes() []string {
	var out []string
	for t, r := range Rules {
		if r.Stateful {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// isStateful reports whether a resource type is stateful.
func isStateful(typ string) bool { return Rules[typ].Stateful }
