# The two commands a new machine needs: `make run` and `make test`. Each installs what it uses.
SHELL := /bin/bash
export SAM_CLI_TELEMETRY := 0
VENV := .venv
TOOLS_STAMP := $(VENV)/.installed-$(shell sha256sum tools/requirements.txt | cut -c1-12)
NEXTEST := $(shell command -v cargo-nextest >/dev/null 2>&1 && echo "cargo nextest run" || echo "cargo test")

.PHONY: run stop test unit scripts-test fuzz token lint tools bench build

## run: DynamoDB Local + tables + demo data + the local gateway on http://127.0.0.1:3000
run:
	scripts/run-local.sh

## stop: stop the local gateway and DynamoDB Local
stop:
	-@[ -f .local/gateway.pid ] && kill $$(cat .local/gateway.pid) 2>/dev/null; rm -f .local/gateway.pid
	@scripts/dynamodb-local.sh stop 8000

## test: formatting, lints, template validation, every test against DynamoDB Local, the scripts' tests, then the bounded fuzz run
test: lint unit scripts-test fuzz

## unit: the Rust test suite (unit, integration, property and concurrency tests) against DynamoDB Local
unit:
	scripts/dynamodb-local.sh start 8000
	DYNAMODB_ENDPOINT=http://127.0.0.1:8000 $(NEXTEST) --workspace

## scripts-test: the Python scripts' tests (scripts/tests), e.g. the table-import check on production-shaped tables
scripts-test: tools
	$(VENV)/bin/pytest -q -p no:cacheprovider scripts/tests

## fuzz: schemathesis over every route of openapi.yaml against the local gateway (bounded)
fuzz: tools
	scripts/fuzz.sh

## token: a dev token for the local gateway, e.g. make token ROLE=staff STORES=store-blr-001
ROLE ?= staff
STORES ?=
SUBJECT ?= dev-user
token:
	@cargo build --quiet -p inventory-local
	@target/debug/inventory-local token --role "$(ROLE)" --stores "$(STORES)" --subject "$(SUBJECT)"

## lint: rustfmt, clippy (warnings are errors) and `sam validate --lint` on template.yaml
lint: tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	$(VENV)/bin/sam validate --lint --template template.yaml

## bench: latency, throughput and memory of the hot paths against DynamoDB Local (see BENCHMARKS.md)
bench:
	scripts/dynamodb-local.sh start 8000
	cargo build --release --quiet -p inventory-local
	RUST_LOG=warn target/release/inventory-local bench --requests 300

## tools: Python tools (SAM CLI, cfn-lint, cargo-lambda) in .venv, reinstalled when requirements change
tools: $(TOOLS_STAMP)
$(TOOLS_STAMP): tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

## build: the deployable artifacts, as `sam build` makes them (arm64, release)
build: tools
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/sam build
