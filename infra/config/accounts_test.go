package config

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckDeployable(t *testing.T) {
	if err := CheckDeployable(Environment{Name: "dev", Account: "222222222222", Region: "eu-west-1"}); err != nil {
		t.Errorf("control: an environment with an account is refused: %v", err)
	}
	err := CheckDeployable(Environment{Name: "dev"})
	if err == nil {
		t.Fatal("an environment without an account is accepted")
	}
	for _, want := range []string{"dev.account: empty", "cdk.json → environments → dev", "aws sts get-caller-identity"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestSharedAccounts(t *testing.T) {
	envs := json.RawMessage(`{"//":"x","dev":{"account":"222222222222"},"staging":{"account":"333333333333"},"prod":{"account":"111111111111"},"scratch":{"account":""}}`)
	got, err := SharedAccounts(envs)
	if err != nil || len(got) != 0 {
		t.Errorf("control: distinct accounts gave %v, %v", got, err)
	}
	envs = json.RawMessage(`{"dev":{"account":"111111111111"},"staging":{"account":"333333333333"},"prod":{"account":"111111111111"}}`)
	got, err = SharedAccounts(envs)
	if err != nil || len(got) != 1 || !strings.Contains(got[0], "dev and prod share AWS account 111111111111") {
		t.Errorf("shared account: got %q, %v", got, err)
	}
}
