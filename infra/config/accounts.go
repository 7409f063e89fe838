package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// CheckDeployable refuses an environment that names no account. Without
// one, the CDK synthesizes an environment-agnostic template that deploys to
// whatever account the caller's credentials belong to: a dev deploy with
// prod credentials would land in prod.
func CheckDeployable(e Environment) error {
	if e.Account != "" {
		return nil
	}
	return fmt.Errorf("%s.account: empty; a deployable environment must name its own AWS account and region, "+
		"so its stacks can only deploy there. Set %q and %q under cdk.json → environments → %s "+
		"(aws sts get-caller-identity --query Account prints the account of your credentials); "+
		"use one account per environment (infra/README.md, \"One account per environment\")",
		e.Name, "account", "region", e.Name)
}

// SharedAccounts returns one warning per AWS account that more than one
// environment names: they would share the CDK bootstrap, its execution
// policy and every account-wide limit and setting, so one environment's
// deploy can affect the other.
func SharedAccounts(environments any) ([]string, error) {
	raw, err := toRaw(environments)
	if err != nil {
		return nil, err
	}
	var envs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &envs); err != nil {
		return nil, fmt.Errorf("context %q: %w", ContextKey, err)
	}
	byAccount := map[string][]string{}
	for _, name := range envNames(envs) {
		var e struct {
			Account string `json:"account"`
		}
		if json.Unmarshal(envs[name], &e) == nil && e.Account != "" {
			byAccount[e.Account] = append(byAccount[e.Account], name)
		}
	}
	var out []string
	for account, names := range byAccount {
		if len(names) > 1 {
			out = append(out, fmt.Sprintf("environments %s share AWS account %s: they share its CDK bootstrap "+
				"(the execution policy of whichever was bootstrapped last) and every account-wide limit; "+
				"give each environment its own account (infra/README.md, \"One account per environment\")",
				strings.Join(names, " and "), account))
		}
	}
	sort.Strings(out)
	return out, nil
}
