// Package removal maps an environment's removalPolicy setting to the CDK's
// removal policy, in one place, for every stateful resource (bucket, logs,
// keys, secrets, queues): an environment either keeps all of them when its
// stack is deleted or lets all of them go.
package removal

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/s3presign/s3presign/infra/config"
)

// For is DESTROY when env's removalPolicy is "destroy" and RETAIN
// otherwise, so that a missing or unknown value keeps the data.
func For(env *config.Environment) awscdk.RemovalPolicy {
	if env.RemovalPolicy == config.RemovalDestroy {
		return awscdk.RemovalPolicy_DESTROY
	}
	return awscdk.RemovalPolicy_RETAIN
}
