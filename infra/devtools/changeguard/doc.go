// Package changeguard compares a freshly synthesized CloudFormation template
// with a baseline (a committed golden template, or the template CloudFormation
// has deployed) and lists the resources that the update would replace or
// remove.
//
// It knows CloudFormation's replacement rules for the properties that matter
// to this project (for example, a changed BucketName replaces the bucket; a
// changed KeySpec makes a KMS key update fail), treats a logical ID that
// disappears as a removal and a changed resource type as a replacement, and
// follows Ref/Fn::GetAtt/Fn::Sub references so that a resource whose
// create-only property points at a replaced resource is reported as replaced
// too.
//
// Stateful resources hold data that a replacement or removal destroys or
// detaches: S3 buckets, KMS keys and Secrets Manager secrets. A report that
// replaces or removes one of them is "blocking"; the changeguard command exits
// non-zero for it. Everything else is listed for information.
//
// CDK asset hashes (64 hex digits, such as a container image tag or an S3 key
// of a file asset) are normalised before comparing, so rebuilding the signer
// image shows up as an asset-only update, never as a stateful change.
package changeguard
