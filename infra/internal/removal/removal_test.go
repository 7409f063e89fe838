package removal_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/internal/removal"
)

func TestFor(t *testing.T) {
	tests := []struct {
		setting string
		want    awscdk.RemovalPolicy
	}{
		{config.RemovalDestroy, awscdk.RemovalPolicy_DESTROY},
		{config.RemovalRetain, awscdk.RemovalPolicy_RETAIN},
		{"", awscdk.RemovalPolicy_RETAIN},
	}
	for _, tt := range tests {
		if got := removal.For(&config.Environment{RemovalPolicy: tt.setting}); got != tt.want {
			t.Errorf("For(%q) = %v, want %v", tt.setting, got, tt.want)
		}
	}
}
