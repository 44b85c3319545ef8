# Slate — every command a developer or CI needs. `make test` works on a fresh machine that has
# only Python 3.11+, make and git: it builds .venv from the pinned requirements first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NODE_PROBE := tests/node
NODE_STAMP := $(NODE_PROBE)/node_modules/.installed-stamp
PIP_VERSION := 26.0.1
STACK ?= dev
PORT ?= 4000
TLS_PORT ?= 4443
# A STACK given on the command line (or in the environment) names a deployed stack for smoke and
# watch; without one they use the local cloud when it runs here.
NAMED_STACK = $(if $(filter command line environment,$(origin STACK)),--stack $(STACK))

.PHONY: dev test unit integration e2e lint format plan policy bench smoke watch redrive constraints clean

$(STAMP): requirements.txt requirements-dev.txt policies/requirements.txt constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Slate needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@touch $(STAMP)

# The Node clients the e2e tier runs (aws-amplify, pinned by package-lock.json); Node and npm
# from Debian when the machine has none.
$(NODE_STAMP): $(NODE_PROBE)/package.json $(NODE_PROBE)/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	npm ci --prefix $(NODE_PROBE) --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

## the whole platform on this machine until Ctrl-C, resuming the state kept in .slate/ (FRESH=1: start empty; VERBOSE=1: function logs inline)
dev: $(STAMP)
	$(BIN)/python -m local up --stack $(STACK) --port $(PORT) --tls-port $(TLS_PORT) --seed devtools/seed.py:seed $(if $(FRESH),--fresh) $(if $(VERBOSE),--verbose)

## every test, as CI runs it: lint, format check, then the unit and integration tiers
test: $(STAMP) $(NODE_STAMP) lint
	$(BIN)/pytest -n 2 tests

## the fast tier (pure logic, no servers)
unit: $(STAMP)
	$(BIN)/pytest -n 2 tests/unit

## moto, the engine, the CLI and the packaged wheel
integration: $(STAMP)
	$(BIN)/pytest -n 2 tests/integration

## the local cloud in its own process, with real clients
e2e: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest -n 2 tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## offline preview of the stack: the resource tree and the stack outputs
plan: $(STAMP)
	$(BIN)/python -m local plan --stack $(STACK)

## the local cloud's figures at ~200 and ~10,000 items, as one table (about 3 minutes)
bench: $(STAMP)
	$(BIN)/python devtools/bench.py

## the policy pack evaluated offline over a stack (exit 1 on a mandatory violation)
policy: $(STAMP)
	$(BIN)/python -m local policy --stack $(STACK)

## end-to-end checks of the running local cloud, else of STACK's outputs (OUTPUTS=file: of those)
smoke: $(STAMP)
	$(BIN)/python devtools/smoke.py $(NAMED_STACK) $(if $(OUTPUTS),--outputs $(OUTPUTS))

## a venue's slot changes, live, until Ctrl-C (VENUE=id; else the first venue)
watch: $(STAMP)
	$(BIN)/python devtools/watch.py $(NAMED_STACK) $(if $(VENUE),--venue $(VENUE)) $(if $(OUTPUTS),--outputs $(OUTPUTS))

## move the running local cloud's dead-letter messages back to their queues (QUEUE=name: one)
redrive: $(STAMP)
	$(BIN)/python -m local redrive $(if $(QUEUE),--queue $(QUEUE))

## re-pin every transitive dependency after changing a requirements file
constraints: $(STAMP)
	{ echo "# Every package the dev environment installs, pinned exactly (regenerate: make constraints)."; \
	  $(BIN)/python -m pip freeze --exclude-editable | sort -f; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
