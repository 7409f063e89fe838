package main

import "github.com/s3presign/s3presign/signer/config"

// reliabilityEnv is baseEnv with the per-client rate limit raised out of
// the way: the hostile-input, fault and load tests send many requests from
// one address, and want the answer of the code under test, not 429.
func reliabilityEnv() map[string]string {
	env := baseEnv()
	env[config.EnvRateLimit] = "1000000"
	env[config.EnvRateBurst] = "1000000"
	return env
}
