# s3presign: every developer and CI entry point. `make` alone lists the targets.
# Variables can be overridden: `make synth ENV=prod`.

.DEFAULT_GOAL := help
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c

ENV ?= dev
BIN := $(CURDIR)/.bin
CDK_CLI_DIR := infra/_cdk-cli
CDK := $(CDK_CLI_DIR)/node_modules/.bin/cdk
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)

# jsii prints a long end-of-life banner on Node 20; the value must name the major version.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# The CLI must not phone home: synth and diff work offline.
export CDK_DISABLE_CLI_TELEMETRY := 1
# Tests find the tools the Makefile built here.
export S3PRESIGN_BIN_DIR := $(BIN)

# Colour only when stdout is a terminal: `make help | less` gets plain text.
.PHONY: help
help: ## List every target with its description
	@if [ -t 1 ]; then on=$$'\033[36m'; off=$$'\033[0m'; else on=; off=; fi; \
	  awk -v on="$$on" -v off="$$off" 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %s%-12s%s %s\n", on, $$1, off, $$2}' $(MAKEFILE_LIST)

## ---- tools -------------------------------------------------------------------

$(BIN)/versitygw: infra/devtools/tools/go.mod infra/devtools/tools/go.sum
	@echo ">> building versitygw (the S3 test server) from infra/devtools/tools; first time takes 2-3 minutes"
	@mkdir -p $(BIN)
	CGO_ENABLED=0 go build -C infra/devtools/tools -o $(BIN)/versitygw github.com/versity/versitygw/cmd/versitygw

$(BIN)/actionlint: infra/devtools/tools/go.mod infra/devtools/tools/go.sum
	@echo ">> building actionlint from infra/devtools/tools"
	@mkdir -p $(BIN)
	go build -C infra/devtools/tools -o $(BIN)/actionlint github.com/rhysd/actionlint/cmd/actionlint

$(CDK): $(CDK_CLI_DIR)/package.json $(CDK_CLI_DIR)/package-lock.json
	@echo ">> installing the pinned CDK CLI from $(CDK_CLI_DIR)/package-lock.json"
	npm ci --prefix $(CDK_CLI_DIR) --no-audit --no-fund --loglevel=error
	@touch $(CDK)

# The Uppy browser test (infra/devtools/local/uppy_test.go) bundles the real @uppy/core
# and @uppy/aws-s3, pinned in infra/devtools/local/_uppy/package-lock.json, with the
# pinned esbuild. Both outputs (node_modules/, dist/) are git-ignored.
UPPY_DIR := infra/devtools/local/_uppy
UPPY_BUNDLE := $(UPPY_DIR)/dist/uppy-page.js

$(UPPY_DIR)/node_modules/.package-lock.json: $(UPPY_DIR)/package.json $(UPPY_DIR)/package-lock.json
	@echo ">> installing Uppy and esbuild from $(UPPY_DIR)/package-lock.json"
	npm ci --prefix $(UPPY_DIR) --no-audit --no-fund --loglevel=error
	@touch $@

$(UPPY_BUNDLE): $(UPPY_DIR)/node_modules/.package-lock.json $(UPPY_DIR)/page.js $(UPPY_DIR)/mint.js
	npm run --prefix $(UPPY_DIR) --silent bundle

.PHONY: uppy
uppy: $(UPPY_BUNDLE) ## Install the pinned Uppy + esbuild (npm ci) and bundle the Uppy test page

# apt-get needs root; use sudo when we are not.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# $(call apt-install,COMMAND,PACKAGES,WHAT[, NOTE]): install the Debian
# PACKAGES when COMMAND is not on PATH, saying ">> installing WHAT with
# apt-get[ NOTE]".
define apt-install
@command -v $(1) >/dev/null || { \
  echo ">> installing $(3) with apt-get$(4)"; \
  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(2) >/dev/null; }
endef

.PHONY: browser
browser: ## Install headless Chromium (Debian package) when missing; the browser tests need it
	$(call apt-install,chromium,chromium,chromium, (first time: about a minute))

# wrk comes from Debian, whose release fixes its version (`wrk --version` is
# recorded in every bench report).
.PHONY: wrk
wrk: ## Install the wrk load generator (Debian package) when missing; bench, soak and the CI load test need it
	$(call apt-install,wrk,wrk,wrk)

# actionlint runs shellcheck on the workflows' run: scripts when it is on PATH
# (and skips those checks silently when it is not).
.PHONY: shellcheck
shellcheck: ## Install shellcheck (Debian package) when missing; actionlint (make lint) checks the workflows' shell scripts with it
	$(call apt-install,shellcheck,shellcheck,shellcheck)

# podman builds and runs the signer's image (make image, the container tests)
# with no Docker engine and no registry; runc is the runtime that works on
# cgroup v1/hybrid hosts, where crun does not. GitHub's Ubuntu runners come
# with podman (and use their own runtime on cgroup v2): nothing to install.
.PHONY: podman
podman: ## Install podman and runc (Debian packages) when podman is missing; make image and the container tests need it
	$(call apt-install,podman,podman runc,podman and runc, (first time: about a minute))

.PHONY: modules
modules: ## Download Go modules (first time: ~450 MB for the CDK)
	@echo ">> downloading Go modules (first time: about 450 MB, 1-2 minutes)"
	go mod download
	go mod download -C signer
	go mod download -C infra/devtools/tools

# jq is what the README's five-minute tour uses to read the signer's answers;
# make test runs that tour.
.PHONY: jq
jq: ## Install jq (Debian package) when missing; the README's tour (run by make test) uses it
	$(call apt-install,jq,jq,jq)

.PHONY: tools
tools: $(BIN)/versitygw $(CDK) uppy browser wrk shellcheck podman jq ## Build or install every tool the tests need

## ---- build and run -----------------------------------------------------------

.PHONY: build
build: ## Build the signer binary into .bin/signer
	@mkdir -p $(BIN)
	VERSION=$(VERSION) COMMIT=$(COMMIT) signer/build.sh $(BIN)/signer

# make image: the signer's container image, built by signer/image.sh (the
# same Dockerfile and context the CDK's DockerImageAsset builds) for ENV's
# cpuArchitecture, into podman's local store as IMAGE.
IMAGE ?= localhost/s3presign-signer:$(ENV)
image_arch = $$(go run ./infra/devtools/cmd/imagearch -env $(ENV))

.PHONY: image
image: podman ## Build the signer's image with podman (FROM scratch, no registry) for ENV's architecture; prints its ID, size, architecture and start-to-ready time
	@arch=$(image_arch); echo ">> building $(IMAGE) for linux/$$arch with signer/image.sh"; \
	  VERSION=$(VERSION) COMMIT=$(COMMIT) signer/image.sh build "$$arch" $(IMAGE)
	@if [ "$$(go run ./infra/devtools/cmd/imagearch -env $(ENV))" = "$$(go env GOARCH)" ]; then \
	  echo ">> timing 5 container starts (read-only, no capabilities) to /readyz 200"; \
	  go run ./infra/devtools/cmd/loadtest image -image $(IMAGE) -starts 5 -out $(BENCH_DIR); \
	else echo ">> not timing start-to-ready: the image is for another architecture than this machine"; fi

# make run: objects and keys persist in .local/ (TEMP=1 uses a throwaway
# directory); AUTH=apikey runs the signer in API-key mode with a key made for
# this run (printed once); RUN_ARGS passes flags to the program (RUN_ARGS=-h
# lists them).
TEMP ?=
AUTH ?=
RUN_ARGS ?=

.PHONY: run
run: $(BIN)/versitygw ## Run everything on 127.0.0.1: S3 (versitygw), bucket from the dev config, signer, upload page (TEMP=1: throwaway data; AUTH=apikey: API-key mode)
	@echo ">> building the signer (make build)"
	@$(MAKE) --no-print-directory build >/dev/null
	@echo ">> building the local stack (infra/devtools/local); first time about a minute"
	@go build -o $(BIN)/s3presign-local ./infra/devtools/local
	@$(BIN)/s3presign-local $(if $(TEMP),-temp) $(if $(AUTH),-auth $(AUTH)) $(RUN_ARGS)

## ---- checks ------------------------------------------------------------------

.PHONY: lint
lint: $(BIN)/actionlint ## gofmt, go vet on every module, actionlint on the workflows
	@unformatted="$$(git ls-files -co --exclude-standard -- '*.go' | xargs gofmt -l)"; \
	  test -z "$$unformatted" || { echo "$$unformatted"; echo "gofmt: files above need formatting"; exit 1; }
	go vet ./...
	go vet -C signer ./...
	$(BIN)/actionlint .github/workflows/*.yml

# make check: the fast inner loop. No installs, no builds of tools, no
# browser, no versitygw, no fuzzing: tests that need those skip under -short
# and say why. Under a minute on warm caches; make test before pushing.
.PHONY: check
check: ## Fast loop (<1 min warm): gofmt, go vet and go test -short over both modules; no installs, browser, versitygw or fuzzing
	@unformatted="$$(git ls-files -co --exclude-standard -- '*.go' | xargs gofmt -l)"; \
	  test -z "$$unformatted" || { echo "$$unformatted"; echo "gofmt: files above need formatting"; exit 1; }
	go vet ./...
	go vet -C signer ./...
	go test -C signer -short ./...
	go test -short ./...

.PHONY: test
test: modules tools lint build ## Run every test (the CI entry point)
	go test -C signer -count=1 ./...
	go test -C signer -race -count=1 -run 'Metrics|Concurrent' ./internal/metrics ./internal/api
	go test -count=1 ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(TEST_FUZZTIME)

# make fuzz: every native fuzz target of the signer module (found with
# go test -list '^Fuzz', so new ones join by themselves) for FUZZTIME each, on
# top of the committed seeds in testdata/fuzz/. make test runs it for
# TEST_FUZZTIME each: with build and corpus start-up a target takes about
# 4s more than that on 2 cores, so 15 targets x 6s is about 2m30s. Lower
# TEST_FUZZTIME as targets are added, to stay near 3 minutes.
FUZZTIME ?= 20s
TEST_FUZZTIME ?= 6s

.PHONY: fuzz
fuzz: ## Fuzz every signer fuzz target for FUZZTIME (20s) each; failing inputs land in testdata/fuzz/
	FUZZTIME=$(FUZZTIME) FUZZMINIMIZETIME=5s signer/fuzz.sh

## ---- performance: benchmarks, soak and profiles ------------------------------

# make bench: DURATION per measured run, CONNECTIONS and THREADS for wrk, each
# row the median of RUNS runs; BENCH_COUNT is -count of the Go
# micro-benchmarks (benchstat input in .artifacts/bench/micro.txt); EXPRESS=1
# also runs the original design (Node + Express + aws-sdk v2, pinned in
# infra/devtools/loadtest/_express) side by side, EXPRESS=0 skips it.
# make soak: SOAK_DURATION of mixed requests. Reports go to .artifacts/bench/,
# and each command's markdown replaces its section of REPORT (committed).
EXPRESS ?= 1
EXPRESS_DIR := infra/devtools/loadtest/_express
EXPRESS_DEPS := $(EXPRESS_DIR)/node_modules/.package-lock.json
DURATION ?= 10s
CONNECTIONS ?= 64
THREADS ?= 2
RUNS ?= 3
BENCH_COUNT ?= 6
SOAK_DURATION ?= 5m
BENCH_DIR := $(CURDIR)/.artifacts/bench
LOADTEST := $(BIN)/loadtest
REPORT ?= infra/devtools/loadtest/REPORT.md
LOAD_FLAGS = -connections $(CONNECTIONS) -threads $(THREADS) -out $(BENCH_DIR) -report $(REPORT) -commit $(VERSION)

$(EXPRESS_DEPS): $(EXPRESS_DIR)/package.json $(EXPRESS_DIR)/package-lock.json
	@echo ">> installing the Express baseline from $(EXPRESS_DIR)/package-lock.json"
	npm ci --prefix $(EXPRESS_DIR) --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: bench
bench: build wrk image $(if $(filter 1,$(EXPRESS)),$(EXPRESS_DEPS)) ## Measure the signer: micro-benchmarks, image size and start, then wrk on its routes vs a fixed-response floor, an aws-sdk-go-v2 peer and the Express original; report in infra/devtools/loadtest/REPORT.md (DURATION, CONNECTIONS, RUNS, EXPRESS)
	@mkdir -p $(BENCH_DIR)
	@go build -o $(LOADTEST) ./infra/devtools/cmd/loadtest
	@echo ">> micro-benchmarks (-count $(BENCH_COUNT)) into $(BENCH_DIR)/micro.txt"
	go test -C signer -run '^$$' -bench '^(BenchmarkPresign|BenchmarkPresignPost|BenchmarkHandler|BenchmarkHandlerMetrics|BenchmarkMetricsMiddleware)$$' -benchmem \
	  -count $(BENCH_COUNT) ./internal/presign ./internal/api > $(BENCH_DIR)/micro.txt
	@echo ">> load: floor, signer routes and peers, $(DURATION) x $(RUNS) runs each at $(CONNECTIONS) connections"
	$(LOADTEST) bench $(LOAD_FLAGS) -signer $(BIN)/signer -image $(IMAGE) -duration $(DURATION) -runs $(RUNS) -micro $(BENCH_DIR)/micro.txt \
	  $(if $(filter 1,$(EXPRESS)),-express $(EXPRESS_DIR)/server.js)

.PHONY: soak
soak: build wrk ## Soak the signer for SOAK_DURATION (5m) with mixed valid requests; fails on any error, non-2xx or RSS that grows
	@mkdir -p $(BENCH_DIR)
	@go build -o $(LOADTEST) ./infra/devtools/cmd/loadtest
	$(LOADTEST) soak $(LOAD_FLAGS) -signer $(BIN)/signer -duration $(SOAK_DURATION)

# make profile: SCENARIO is upload, download or upload-auth. The profiling
# build (-tags pprof, signer/pprof.go) is .bin/signer-pprof; never shipped.
SCENARIO ?= upload

.PHONY: profile
profile: wrk ## CPU profile of the signer under SCENARIO's load (upload): a -tags pprof build, then go tool pprof -top
	@mkdir -p $(BENCH_DIR)
	@go build -o $(LOADTEST) ./infra/devtools/cmd/loadtest
	TAGS=pprof VERSION=$(VERSION) COMMIT=$(COMMIT) signer/build.sh $(BIN)/signer-pprof
	$(LOADTEST) profile $(LOAD_FLAGS) -signer $(BIN)/signer-pprof -scenario $(SCENARIO) -duration $(DURATION)
	go tool pprof -top -nodecount 40 $(BIN)/signer-pprof $(BENCH_DIR)/$(SCENARIO).pprof

## ---- infrastructure ----------------------------------------------------------

.PHONY: synth
synth: $(CDK) ## Synthesize the CloudFormation templates for ENV offline (make synth ENV=prod)
	$(CDK) synth --no-notices -c env=$(ENV) --quiet

# ENV's two stacks, as infra/stacks names them.
STACKS = s3presign-$(ENV)-storage s3presign-$(ENV)-service
DEPLOY_FLAGS ?= --require-approval broadening
# Looks for credentials the AWS SDK would find (env keys, profile, web identity,
# container credentials, shared files). CHECK_CREDENTIALS=0 skips the check
# (e.g. on EC2 with an instance role); the CDK CLI then reports what it finds.
CHECK_CREDENTIALS ?= 1
define require-aws-credentials
	@if [ "$(CHECK_CREDENTIALS)" != 0 ] && [ -z "$${AWS_ACCESS_KEY_ID:-}$${AWS_PROFILE:-}$${AWS_WEB_IDENTITY_TOKEN_FILE:-}$${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}$${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" ] \
	  && [ ! -s "$${AWS_SHARED_CREDENTIALS_FILE:-$$HOME/.aws/credentials}" ] && [ ! -s "$${AWS_CONFIG_FILE:-$$HOME/.aws/config}" ]; then \
	  echo "make $(or $(CREDENTIALS_FOR),$@): no AWS credentials found for ENV=$(ENV)." >&2; \
	  echo "  Checked AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE, container credentials, ~/.aws/credentials and ~/.aws/config." >&2; \
	  echo "  Use credentials for ENV's account, e.g.: AWS_PROFILE=<profile> make $(or $(CREDENTIALS_FOR),$@) ENV=$(ENV)" >&2; \
	  echo "  (make synth and make diff work offline without any.)" >&2; \
	  exit 1; fi
endef

# The golden templates hold a placeholder for every asset hash (the signer
# image's tag among them): make diff compares a copy of the synth normalised
# the same way (infra/devtools/cmd/golden), so a signer-only change shows no diff.
DIFF_ASSEMBLY := $(CURDIR)/.artifacts/diff/cdk.out

.PHONY: diff
diff: synth ## Offline: diff ENV's synth against the committed golden templates in infra/testdata/ENV, then run the change guard; fails on any difference
	@go run ./infra/devtools/cmd/golden -assembly cdk.out -out $(DIFF_ASSEMBLY)
	@rc=0; for s in $(STACKS); do \
	  echo ">> $$s vs infra/testdata/$(ENV)/$$s.template.json"; \
	  $(CDK) diff --app $(DIFF_ASSEMBLY) --no-notices --exclusively --template infra/testdata/$(ENV)/$$s.template.json --fail $$s || rc=1; \
	done; \
	if [ $$rc != 0 ]; then echo "make diff: ENV=$(ENV) differs from its golden templates; if intended, run: make golden" >&2; fi; \
	$(MAKE) --no-print-directory guard ENV=$(ENV) SYNTH=0 || rc=1; \
	exit $$rc

.PHONY: golden
golden: ## Rewrite the golden templates in infra/testdata/ from the current code (every environment)
	UPDATE_GOLDEN=1 go test -count=1 -run 'TestGolden' ./infra/stacks

# make diff-live reads the deployed templates with the caller's own
# credentials (in CI: the environment's diff or deploy role, which may only
# read this app's templates) and diffs ENV's fresh synth against them
# offline, so it needs no CDK bootstrap role.
.PHONY: diff-live
diff-live: synth ## Diff ENV's synth against the deployed templates, fetched with your credentials (needs cloudformation:GetTemplate on ENV's stacks)
	$(require-aws-credentials)
	@rm -rf $(GUARD_DIR)/$(ENV)-deployed
	@$(CHANGEGUARD) -list-stacks cdk.out | infra/devtools/cmd/changeguard/fetch-deployed.sh $(GUARD_DIR)/$(ENV)-deployed || { \
	  echo "make diff-live: could not read ENV=$(ENV)'s deployed templates; check that your AWS credentials belong to ENV's account and may cloudformation:GetTemplate on s3presign-$(ENV)-* (the diff role from make bootstrap does)." >&2; exit 1; }
	@for s in $(STACKS); do \
	  t=$(GUARD_DIR)/$(ENV)-deployed/$$s.template.json; \
	  [ -s "$$t" ] || { t=$(GUARD_DIR)/$(ENV)-deployed/$$s.empty.json; echo '{}' > "$$t"; echo ">> $$s is not deployed yet: everything in it is new"; }; \
	  echo ">> $$s vs deployed"; \
	  $(CDK) diff --app cdk.out --no-notices --exclusively --template "$$t" $$s; \
	done

# The CDK CLI builds the image asset with $CDK_DOCKER (docker by default):
# CDK_DOCKER=podman make deploy on machines with podman instead of Docker.
.PHONY: deploy
deploy: $(CDK) ## Deploy ENV's stacks (needs AWS credentials, and Docker or CDK_DOCKER=podman for the signer image)
	$(require-aws-credentials)
	@arch=$(image_arch); echo ">> staging the signer binary for linux/$$arch (signer/image.sh stage)"; \
	  VERSION=$(VERSION) COMMIT=$(COMMIT) signer/image.sh stage "$$arch"
	@$(CDK) deploy --no-notices -c env=$(ENV) $(DEPLOY_FLAGS) $(STACKS) || { \
	  echo "make deploy: cdk deploy failed for ENV=$(ENV); check your AWS credentials (ENV's account and region), that the account is bootstrapped (make bootstrap ENV=$(ENV)) and that Docker is running (or set CDK_DOCKER=podman)." >&2; exit 1; }

## ---- change guard and bootstrap: safe delivery --------------------------------

# changeguard fails when ENV's synth would replace or remove a stateful resource
# (S3 bucket, KMS key, Secrets Manager secret). SYNTH=0 reuses cdk.out from an
# earlier `make synth ENV=…`; GUARD_FORMAT=markdown for PR comments;
# GUARD_FLAGS=-allow-stateful reports without failing; GUARD_BASE=<git ref>
# compares with that ref's golden templates instead of the working tree's.
GOLDEN_DIR = infra/testdata/$(ENV)
GUARD_FORMAT ?= text
GUARD_FLAGS ?=
GUARD_BASE ?=
SYNTH ?= 1
GUARD_SYNTH := $(if $(filter 0,$(SYNTH)),,synth)
GUARD_DIR := $(CURDIR)/.artifacts/guard
CHANGEGUARD := go run ./infra/devtools/cmd/changeguard
# With SYNTH=0, cdk.out may hold another environment's synth: refuse it. grep
# reads to the end (not -q): under pipefail, a grep that quits early makes
# the lister fail with SIGPIPE.
define check-assembly-env
	@$(CHANGEGUARD) -list-stacks cdk.out | grep " s3presign-$(ENV)-" >/dev/null || { \
	  echo "make $@: cdk.out holds no s3presign-$(ENV)-* stack (another ENV's synth?): run make synth ENV=$(ENV), or drop SYNTH=0" >&2; exit 2; }
endef

.PHONY: guard
guard: $(GUARD_SYNTH) ## Offline: fail if ENV's synth replaces/removes a bucket, KMS key or secret vs the golden templates
	$(check-assembly-env)
	@base=$(GOLDEN_DIR); \
	if [ -n "$(GUARD_BASE)" ]; then \
	  base=$(GUARD_DIR)/$(ENV)-base; rm -rf "$$base"; mkdir -p "$$base"; \
	  if git cat-file -e "$(GUARD_BASE):$(GOLDEN_DIR)" 2>/dev/null; then \
	    git archive "$(GUARD_BASE)" "$(GOLDEN_DIR)" | tar -x -C "$$base" --strip-components=$(words $(subst /, ,$(GOLDEN_DIR))); \
	  else echo "guard: $(GUARD_BASE) has no $(GOLDEN_DIR); every resource counts as new" >&2; fi; \
	elif [ ! -d "$$base" ]; then echo "guard: no golden templates in $(GOLDEN_DIR)" >&2; exit 2; fi; \
	$(CHANGEGUARD) -baseline "$$base" -template cdk.out -title "$(ENV)" -format $(GUARD_FORMAT) $(GUARD_FLAGS)

# Credentials are checked before the synth, so a missing login fails at once.
.PHONY: guard-live-credentials
guard-live-credentials: CREDENTIALS_FOR := guard-live
guard-live-credentials:
	$(require-aws-credentials)

.PHONY: guard-live
guard-live: guard-live-credentials $(GUARD_SYNTH) ## Fail if ENV's synth replaces/removes a bucket, KMS key or secret vs the deployed stacks (needs AWS credentials)
	$(check-assembly-env)
	@rm -rf $(GUARD_DIR)/$(ENV)-deployed
	@$(CHANGEGUARD) -list-stacks cdk.out | infra/devtools/cmd/changeguard/fetch-deployed.sh $(GUARD_DIR)/$(ENV)-deployed
	@$(CHANGEGUARD) -baseline $(GUARD_DIR)/$(ENV)-deployed -template cdk.out -title "$(ENV) vs deployed" -format $(GUARD_FORMAT) $(GUARD_FLAGS)

BOOTSTRAP_OUT := $(CURDIR)/.artifacts/bootstrap.out
BOOTSTRAP_APP := go run ./infra/cmd/bootstrap

# Checked before anything is installed or synthesized.
.PHONY: bootstrap-credentials
bootstrap-credentials:
	@command -v aws >/dev/null && aws sts get-caller-identity >/dev/null 2>&1 || { \
	  echo "make bootstrap: no usable AWS credentials (or no aws CLI)."; \
	  echo "  Run it once per environment with administrator credentials for that account, e.g."; \
	  echo "  AWS_PROFILE=<admin-profile> AWS_REGION=<region> make bootstrap ENV=$(ENV)"; exit 1; }

# make bootstrap, in order: the preflight (ENV names an account, your
# credentials are for it, the repository's numeric id is known: from cdk.json,
# `gh api`, or a question), a synth of the bootstrap app (every setting
# checked), then the execution policy and permissions boundary, `cdk
# bootstrap` with that policy instead of AdministratorAccess, and the OIDC
# provider and ENV's deploy and diff roles. Nothing is created before the
# checks pass.
.PHONY: bootstrap
bootstrap: bootstrap-credentials $(CDK) ## Once per account: execution policy + boundary, cdk bootstrap with that policy, the GitHub OIDC provider and ENV's deploy + diff roles (needs AWS admin credentials; asks for the repository id if it cannot find it)
	@echo ">> 1/5 preflight: account, credentials and repository id for ENV=$(ENV)"
	@set -- $$($(BOOTSTRAP_APP) preflight $(ENV)); repo_id=$$1; policy=$$2; \
	ctx="-c env=$(ENV) -c githubRepositoryId=$$repo_id"; \
	echo ">> 2/5 synth the bootstrap app (repository id $$repo_id)"; \
	$(CDK) --app "$(BOOTSTRAP_APP)" --output $(BOOTSTRAP_OUT) synth --no-notices --quiet $$ctx; \
	echo ">> 3/5 the CloudFormation execution policy and the permissions boundary"; \
	$(CDK) --app $(BOOTSTRAP_OUT) deploy --no-notices $$ctx --require-approval broadening s3presign-$(ENV)-cfn-exec; \
	echo ">> 4/5 cdk bootstrap with $$policy as the execution policy"; \
	$(CDK) bootstrap --no-notices -c env=$(ENV) --cloudformation-execution-policies "$$policy"; \
	echo ">> 5/5 the GitHub OIDC provider and the deploy and diff roles of $(ENV)"; \
	$(CDK) --app $(BOOTSTRAP_OUT) deploy --no-notices $$ctx --require-approval broadening --all

## ---- housekeeping ------------------------------------------------------------

# What make and the tests write that git ignores. make run's objects and keys
# live in .local/ (about 100 MB once used): make clean resets them too.
CLEAN_DIRS := .local .bin cdk.out .artifacts

.PHONY: clean
clean: ## Remove .local/ (make run's data), .bin/, cdk.out/ and .artifacts/, saying what was removed
	@removed=; for d in $(CLEAN_DIRS); do \
	  if [ -e "$$d" ]; then size=$$(du -sh "$$d" 2>/dev/null | cut -f1); rm -rf "$$d"; echo "removed $$d/ ($$size)"; removed=1; fi; \
	done; [ -n "$$removed" ] || echo "nothing to remove ($(CLEAN_DIRS) are absent)"
