# prod-e: the developer entry points. Each target installs what it needs.
# CI (.ci/run) runs lint, package, sam-build, invoke and test.
#
# Prerequisites, once: Rust 1.94.1 or newer by rustup (the arm64 target is added on demand),
# Python 3 with venv, and for `make test` Node.js (Debian's nodejs, installed here as root).
# Every Python tool lives in its own virtualenv under $(VENVS); nothing goes into the system
# interpreter.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
CARGO ?= cargo
MIN_RUST := 1.94.1

.SECONDARY:
.PHONY: help demo invoke test reliability bench build package sam-build deploy destroy lint fmt \
	deps-rust deps-moto deps-node deps-lambda deps-arm64

# Where cargo puts things (CI sets CARGO_TARGET_DIR outside the clone).
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
ZIP := $(TARGET_DIR)/lambda/prod-e-provisioner/bootstrap.zip
# One virtualenv per Python tool (their dependencies conflict), found first on PATH. cargo-lambda's
# comes first: it runs zig as `python3 -m ziglang`, from the ziglang wheel in its virtualenv.
VENVS := $(HOME)/.cache/prod-e/venvs
TOOLS := lambda moto cfn-lint sam checkov
export PATH := $(subst $(eval) ,:,$(foreach t,$(TOOLS),$(VENVS)/$(t)/bin)):$(PATH)
SAM_ENV := AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline SAM_CLI_TELEMETRY=0


help:
	@echo "make demo   run the Lambda under cargo lambda watch against moto: Create, Update, replacement, Delete"
	@echo "make test   unit and integration tests (starts its own moto server)"
	@echo "make invoke EVENT=events/create.json   cargo lambda invoke with a sample event, against the emulator"
	@echo "make reliability   the fault, crash and bad-input tests, printing their figures"
	@echo "make bench  release build; cold start, wall time vs critical path, calls, RSS, sizes"
	@echo "make build  cargo lambda build --release --arm64 (the deployable bootstrap)"
	@echo "make package  the arm64 deployment zip, and its size"
	@echo "make sam-build  sam build (rust-cargolambda), offline"
	@echo "make deploy / destroy   sam build + sam deploy --guided / sam delete (needs an AWS account)"
	@echo "make lint   rustfmt, clippy -D warnings; then cfn-lint, sam validate --lint and checkov on the templates"

# One build serves demo, invoke and test (the same targets and features: switching between them
# compiles next to nothing), with cargo's own progress; the first takes minutes
# (docs/reliability.md, "First run").
BUILD := $(CARGO) build --workspace --lib --bins --tests --examples
DEBUG_DIR := $(TARGET_DIR)/debug

demo: deps-rust deps-moto deps-lambda
	$(BUILD)
	$(DEBUG_DIR)/examples/demo

# Every AWS call the suite makes is logged by the test proxies, then judged against the
# function's policy in the template (examples/policy.rs).
CALL_LOG ?= $(TARGET_DIR)/prod-e-calls.jsonl
# The integration tests mostly wait on the emulator: 4 at a time on 2 cores is faster than one
# per core, and leaves moto (single-threaded) enough headroom for the timed tests.
TEST_THREADS ?= 4
test: deps-rust deps-moto deps-node
	rm -f $(CALL_LOG)
	$(BUILD)
	PROD_E_CALL_LOG=$(abspath $(CALL_LOG)) $(CARGO) test --workspace --lib --bins --tests --examples -- --test-threads=$(TEST_THREADS)
	$(DEBUG_DIR)/examples/policy $(CALL_LOG)

# Sends the given event files (in order, against one fresh emulator) to the function under
# cargo lambda watch with cargo lambda invoke; each ResponseURL becomes a local presigned one.
EVENT ?= events/create.json events/delete.json
invoke: deps-rust deps-moto deps-lambda
	$(BUILD)
	$(DEBUG_DIR)/examples/demo $(EVENT)

reliability: deps-rust deps-moto
	$(CARGO) test --test integration -- reliability:: replace:: steady:: --nocapture 2>&1 | tee /dev/stderr | sed -n 's/^.*FIGURE //p'

bench: deps-rust deps-moto
	PROD_E_ZIP=$(ZIP) PROD_E_BENCH_JSON=$(TARGET_DIR)/bench-results.json $(CARGO) bench --bench bench

build: deps-rust deps-lambda deps-arm64
	$(CARGO) lambda build --release --arm64 --bin prod-e-provisioner

package: deps-rust deps-lambda deps-arm64
	$(CARGO) lambda build --release --arm64 --bin prod-e-provisioner --output-format zip
	@ls -l $(ZIP) | awk '{printf "%s: %.2f MB\n", $$9, $$5 / 1000000}'

# sam build with the rust-cargolambda method (offline); shares the arm64 build with `make package`.
sam-build: deps-lambda $(VENVS)/sam/bin/sam
	$(SAM_ENV) sam build --build-dir $(TARGET_DIR)/sam

# Not run here (no AWS account): the SAM CLI installed above and your credentials, see the README.
deploy: deps-lambda $(VENVS)/sam/bin/sam
	sam build
	sam deploy --guided

destroy: $(VENVS)/sam/bin/sam
	sam delete

# The fast Rust checks first, then the template checkers.
lint: deps-rust
	$(CARGO) fmt --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	@$(MAKE) --no-print-directory $(VENVS)/cfn-lint/bin/cfn-lint $(VENVS)/sam/bin/sam $(VENVS)/checkov/bin/checkov
	cfn-lint bootstrap-template.yaml network-template.yaml
	$(SAM_ENV) sam validate --lint -t bootstrap-template.yaml
	$(SAM_ENV) sam validate --lint -t network-template.yaml
	checkov -f bootstrap-template.yaml -f network-template.yaml --framework cloudformation --skip-download --compact --quiet

fmt:
	$(CARGO) fmt

$(VENVS)/%/bin/pip:
	$(PYTHON) -m venv $(VENVS)/$*

$(VENVS)/moto/bin/moto_server: $(VENVS)/moto/bin/pip
	$(VENVS)/moto/bin/pip install --quiet 'moto[server]==5.2.6'

$(VENVS)/lambda/bin/cargo-lambda: $(VENVS)/lambda/bin/pip
	$(VENVS)/lambda/bin/pip install --quiet cargo-lambda

$(VENVS)/cfn-lint/bin/cfn-lint: $(VENVS)/cfn-lint/bin/pip
	$(VENVS)/cfn-lint/bin/pip install --quiet cfn-lint

$(VENVS)/sam/bin/sam: $(VENVS)/sam/bin/pip
	$(VENVS)/sam/bin/pip install --quiet aws-sam-cli

$(VENVS)/checkov/bin/checkov: $(VENVS)/checkov/bin/pip
	$(VENVS)/checkov/bin/pip install --quiet checkov

deps-rust:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust $(MIN_RUST) or newer (rustup)"; exit 1; }
	@have=$$(rustc --version | cut -d' ' -f2); \
	  if [ "$$(printf '%s\n' $(MIN_RUST) $$have | sort -V | head -1)" != "$(MIN_RUST)" ]; then \
	    echo "rustc $$have is older than $(MIN_RUST), which the AWS SDK needs: rustup update stable"; exit 1; fi

deps-moto: $(VENVS)/moto/bin/moto_server

deps-lambda: $(VENVS)/lambda/bin/cargo-lambda

deps-arm64:
	@rustup target list --installed 2>/dev/null | grep -q aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu

# The default container's server is plain Node; a test runs it (Debian's nodejs).
deps-node:
	@command -v node >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq nodejs >/dev/null; } || { echo "node not found: install Node.js (Debian: apt-get install nodejs)"; exit 1; }
