#!/usr/bin/env bash
# fetch-deployed.sh OUTDIR < stacks
#
# Fetches the templates CloudFormation has deployed for the stacks listed on
# stdin, one "<artifact-id> <stack-name> <account|-> <region|->" per line (the
# output of `changeguard -list-stacks cdk.out`), into OUTDIR/<artifact-id>.template.json,
# so changeguard can compare a fresh synth with what is live.
#
# Reads with the caller's own credentials: in CI the environment's diff role
# (pull requests) or deploy role (main), which may GetTemplate on this app's
# stacks and nothing else; never a CDK bootstrap role. A stack that does not
# exist yet is skipped: changeguard then sees only additions.
#
# Environment: AWS_REGION or AWS_DEFAULT_REGION for environment-agnostic stacks.
set -euo pipefail

out=${1:?usage: fetch-deployed.sh OUTDIR < stacks}

command -v aws >/dev/null || { echo "fetch-deployed: the aws CLI is not installed" >&2; exit 2; }
if ! caller_account=$(aws sts get-caller-identity --query Account --output text 2>/dev/null); then
  echo "fetch-deployed: no usable AWS credentials (aws sts get-caller-identity failed)." >&2
  echo "  Configure credentials for the target account (AWS_PROFILE, SSO, or the CI role) and retry." >&2
  exit 2
fi
default_region=${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}}

mkdir -p "$out"
while read -r id name account region; do
  [ -n "${id:-}" ] || continue
  [ "$account" != "-" ] || account=$caller_account
  [ "$region" != "-" ] || region=$default_region
  if [ -z "$region" ]; then
    echo "fetch-deployed: no region for stack $name: set AWS_REGION or the env's region in cdk.json" >&2
    exit 2
  fi

  if [ "$account" != "$caller_account" ]; then
    echo "fetch-deployed: $name lives in account $account, but the credentials are for $caller_account" >&2
    exit 2
  fi

  file="$out/$id.template.json"
  if err=$(aws cloudformation get-template --region "$region" --stack-name "$name" \
      --template-stage Original --query TemplateBody --output json 2>&1 >"$file"); then
    echo "fetch-deployed: $name ($region) -> $file" >&2
  else
    rm -f "$file"
    if grep -q "does not exist" <<<"$err"; then
      echo "fetch-deployed: $name is not deployed in $account/$region yet: everything in it is new" >&2
    else
      echo "fetch-deployed: $name: $err" >&2
      exit 2
    fi
  fi
done
