# The two commands a new machine needs: `make run` and `make test`. Each installs what it uses.
SHELL := /bin/bash
export SAM_CLI_TELEMETRY := 0
VENV := .venv
TOOLS_STAMP := $(VENV)/.installed-$(shell sha256sum tools/requirements.txt | cut -c1-12)
# DynamoDB Local's port for make unit and make fuzz (8000 unless told otherwise).
DYNAMODB_PORT ?= 8000
export DYNAMODB_PORT
NEXTEST := $(shell command -v cargo-nextest >/dev/null 2>&1 && echo "cargo nextest run" || echo "cargo test")

.PHONY: run stop test unit scripts-test fuzz token lint tools bench build invoke package

## run: DynamoDB Local + tables + demo data + the local gateway on http://127.0.0.1:3000
run:
	scripts/run-local.sh

## stop: stop the local gateway and DynamoDB Local
stop:
	-@[ -f .local/gateway.pid ] && kill $$(cat .local/gateway.pid) 2>/dev/null; rm -f .local/gateway.pid
	@scripts/dynamodb-local.sh stop 8000

## test: formatting, lints, template validation, every test against DynamoDB Local, the scripts' tests, then the bounded fuzz run
test: lint unit scripts-test fuzz

HEAVY_PORT ?= 8001
HEAVY := test(/^load::|^model::|fifty_concurrent|sixty_four_concurrent|racing_on_one_row|racing_on_every_line|twenty_times_concurrently|racing_a_cancel|concurrent_sends/)
# Tests that write thousands of items: after the heavy ones, so the data they leave never slows
# a contention budget (10,050 sales before the 50-buyer test once left it 18 sold and 32 busy).
BULKY := test(/more_sales_than_one_request_reads/)

## unit: the Rust test suite (unit, integration, property and concurrency tests) against DynamoDB Local
unit:
	scripts/dynamodb-local.sh start $(DYNAMODB_PORT)
	# The function binaries for the test that runs them under the Lambda runtime loop, built with
	# the tests (--all-targets): the same feature set as the test build, so nothing compiles twice.
	cargo build --workspace --all-targets
	# The tests that load DynamoDB Local on purpose (concurrency, load, the property model) run
	# after the rest, one at a time, on a fresh instance of their own: DynamoDB Local serialises
	# writes behind a lock and slows down as it ages (thousands of tables created and dropped),
	# and then its lock timeouts, not our code, decide their contention budgets.
	if [ "$(NEXTEST)" = "cargo nextest run" ]; then \
	  DYNAMODB_ENDPOINT=http://127.0.0.1:$(DYNAMODB_PORT) $(NEXTEST) --workspace -E 'not $(HEAVY) and not $(BULKY)' && \
	  scripts/dynamodb-local.sh start $(HEAVY_PORT) && \
	  { DYNAMODB_ENDPOINT=http://127.0.0.1:$(HEAVY_PORT) $(NEXTEST) --workspace -E '$(HEAVY)' --test-threads 1 && \
	    DYNAMODB_ENDPOINT=http://127.0.0.1:$(HEAVY_PORT) $(NEXTEST) --workspace -E '$(BULKY)' --test-threads 1; \
	    status=$$?; scripts/dynamodb-local.sh stop $(HEAVY_PORT); exit $$status; }; \
	else DYNAMODB_ENDPOINT=http://127.0.0.1:$(DYNAMODB_PORT) $(NEXTEST) --workspace; fi

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

## invoke: one function's real binary under a local Lambda Runtime API with an event, e.g.
##   make invoke FN=update-stock EVENT=events/update-stock.json   (sam local invoke, without Docker)
FN ?= get-product
EVENT ?= events/$(FN).json
invoke:
	@scripts/dynamodb-local.sh start 8000 >/dev/null
	@cargo build --quiet -p inventory-local -p $(FN)
	@target/debug/inventory-local invoke $(FN) --event $(EVENT)

## lint: rustfmt, clippy (warnings are errors) and `sam validate --lint` on template.yaml
lint: tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	$(VENV)/bin/sam validate --lint --template template.yaml

## bench: the functions as Lambda runs them, beside their floors and the Python peer, written to
## bench/REPORT.md and bench/report.json (about 20 minutes with its release build on 2 cores; never part of make test)
PEER_PYTHON ?= $(shell p=$$(pyenv prefix 3.12.1 2>/dev/null) && echo $$p/bin/python3 || command -v python3.12)
BENCH_FUNCTIONS := get-product update-stock reserve-stock order-stock expire-reservations
PEER_VENV := bench/.venv-peer
PEER_STAMP := $(PEER_VENV)/.installed-$(shell sha256sum bench/peer/requirements.txt | cut -c1-12)
bench: $(PEER_STAMP)
	scripts/dynamodb-local.sh start 8000
	# Only what it measures: the five function kinds and the bench itself (with its hello-world
	# floor); a release link of every function (thin LTO, one codegen unit) would take longer
	# than the measurements.
	cargo build --release -p inventory-local $(addprefix -p ,$(BENCH_FUNCTIONS))
	RUST_LOG=warn target/release/inventory-local bench

## the Python 3.12 peer's venv (awslambdaric, boto3), reinstalled when its requirements change
$(PEER_STAMP): bench/peer/requirements.txt
	@[ -x "$(PEER_PYTHON)" ] || { echo "Python 3.12 is needed for the peer (pyenv install 3.12.1)" >&2; exit 1; }
	"$(PEER_PYTHON)" -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/peer/requirements.txt
	rm -f $(PEER_VENV)/.installed-* && touch $@

## tools: Python tools (SAM CLI, cfn-lint, cargo-lambda) in .venv, reinstalled when requirements change
tools: $(TOOLS_STAMP)
$(TOOLS_STAMP): tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

## package: every function for arm64 / provided.al2023 in one shared build, each bootstrap zipped
## into target/lambda/<function>/bootstrap.zip, then checked (AArch64, GLIBC <= 2.34) with sizes
package: tools
	scripts/package.sh

## build: the deployable artifacts, as `sam build` makes them (arm64, release). The shared build
## (make package) comes first, so each of sam's 22 per-function cargo-lambda builds finds its
## binary fresh instead of linking it alone.
build: package
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/sam build
