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

.PHONY: help
help: ## List every target with its description
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

## ---- tools -------------------------------------------------------------------

$(BIN)/versitygw: infra/tools/go.mod infra/tools/go.sum
	@echo ">> building versitygw (the S3 test server) from infra/tools; first time takes 2-3 minutes"
	@mkdir -p $(BIN)
	CGO_ENABLED=0 go build -C infra/tools -o $(BIN)/versitygw github.com/versity/versitygw/cmd/versitygw

$(BIN)/actionlint: infra/tools/go.mod infra/tools/go.sum
	@echo ">> building actionlint from infra/tools"
	@mkdir -p $(BIN)
	go build -C infra/tools -o $(BIN)/actionlint github.com/rhysd/actionlint/cmd/actionlint

$(CDK): $(CDK_CLI_DIR)/package.json $(CDK_CLI_DIR)/package-lock.json
	@echo ">> installing the pinned CDK CLI from $(CDK_CLI_DIR)/package-lock.json"
	npm ci --prefix $(CDK_CLI_DIR) --no-audit --no-fund --loglevel=error
	@touch $(CDK)

# apt-get needs root; use sudo when we are not.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: browser
browser: ## Install headless Chromium (Debian package) when missing; the browser tests need it
	@command -v chromium >/dev/null || { \
	  echo ">> installing chromium with apt-get (first time: about a minute)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

.PHONY: modules
modules: ## Download Go modules (first time: ~450 MB for the CDK)
	@echo ">> downloading Go modules (first time: about 450 MB, 1-2 minutes)"
	go mod download
	go mod download -C signer
	go mod download -C infra/tools

.PHONY: tools
tools: $(BIN)/versitygw $(CDK) browser ## Build or install every tool the tests need

## ---- build and run -----------------------------------------------------------

.PHONY: build
build: ## Build the signer binary into .bin/signer
	@mkdir -p $(BIN)
	VERSION=$(VERSION) COMMIT=$(COMMIT) signer/build.sh $(BIN)/signer

## ---- checks ------------------------------------------------------------------

.PHONY: lint
lint: ## gofmt, go vet on every module
	@test -z "$$(gofmt -l infra signer)" || { gofmt -l infra signer; echo "gofmt: files above need formatting"; exit 1; }
	go vet ./...
	go vet -C signer ./...

.PHONY: test
test: modules tools lint ## Run every test (the CI entry point)
	go test -C signer -count=1 ./...
	go test -count=1 ./...

## ---- infrastructure ----------------------------------------------------------

.PHONY: synth
synth: $(CDK) ## Synthesize the CloudFormation templates for ENV offline (make synth ENV=prod)
	$(CDK) synth --no-notices -c env=$(ENV) --quiet
