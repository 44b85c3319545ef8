# Slate — every command a developer or CI needs. `make test` works on a fresh machine that has
# only Python 3.11+, make and git: it builds .venv from the pinned requirements first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
WEB := web
WEB_STAMP := $(WEB)/node_modules/.installed-stamp
WEB_BUILD := $(WEB)/dist/index.html
WEB_SOURCES := $(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/tsconfig.json $(wildcard $(WEB)/src/*.* $(WEB)/src/*/*.*)
PIP_VERSION := 26.0.1
STACK ?= dev
PORT ?= 4000
TLS_PORT ?= 4443
WEB_PORT ?= 8080
# A STACK given on the command line (or in the environment) names a deployed stack for smoke and
# watch; without one they use the local cloud when it runs here.
NAMED_STACK = $(if $(filter command line environment,$(origin STACK)),--stack $(STACK))

.PHONY: dev demo web-config browser-deps test unit integration e2e browser lint format plan policy bench smoke watch redrive constraints clean

$(STAMP): requirements.txt requirements-dev.txt policies/requirements.txt constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Slate needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@touch $(STAMP)

# The web app's packages (React, Vite, aws-amplify; pinned by web/package-lock.json), which the
# Node probe of the e2e tier uses too; Node and npm from Debian when the machine has none.
$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	@devtools/system-packages node=nodejs npm=npm
	npm ci --prefix $(WEB) --no-audit --no-fund --loglevel=error
	@touch $(WEB_STAMP)

$(WEB_BUILD): $(WEB_STAMP) $(WEB_SOURCES)
	npm run --prefix $(WEB) --silent build -- --logLevel warn

# What the browser tier drives: Debian's Chromium (Playwright's own browser download is not used).
browser-deps:
	@devtools/system-packages chromium=chromium

## the whole platform on this machine until Ctrl-C, resuming the state kept in .slate/ (FRESH=1: start empty; VERBOSE=1: function logs inline)
dev: $(STAMP)
	$(BIN)/python -m local up --stack $(STACK) --port $(PORT) --tls-port $(TLS_PORT) --seed devtools/seed.py:seed $(if $(FRESH),--fresh) $(if $(VERBOSE),--verbose)

## the local cloud and the web app (http://localhost:8080) with demo users, until Ctrl-C (FRESH=1: start empty)
demo: $(STAMP) $(WEB_BUILD)
	$(BIN)/python devtools/demo.py --stack $(STACK) --port $(PORT) --tls-port $(TLS_PORT) --web-port $(WEB_PORT) $(if $(FRESH),--fresh)

## the web app's config.json for the local cloud running here, else STACK's outputs (OUTPUTS=file: of those)
web-config: $(STAMP)
	$(BIN)/python devtools/web_config.py $(NAMED_STACK) $(if $(OUTPUTS),--outputs $(OUTPUTS))

## every test, as CI runs it: lint, format check, then every tier (browser included)
# The browser tier runs in processes of its own: Playwright's greenlets can leave CPython 3.11's
# recursion accounting off for whatever later runs in the same process ("AST constructor
# recursion depth mismatch" in a later test).
test: $(STAMP) $(WEB_BUILD) browser-deps lint
	$(BIN)/pytest -n 2 tests --ignore=tests/browser
	$(BIN)/pytest -n 2 tests/browser

## the fast tier (pure logic, no servers)
unit: $(STAMP)
	$(BIN)/pytest -n 2 tests/unit

## moto, the engine, the CLI and the packaged wheel
integration: $(STAMP)
	$(BIN)/pytest -n 2 tests/integration

## the local cloud in its own process, with real clients
e2e: $(STAMP) $(WEB_STAMP)
	$(BIN)/pytest -n 2 tests/e2e

## the web app in Chromium (Playwright) against the local cloud: two signed-in browsers
browser: $(STAMP) $(WEB_BUILD) browser-deps
	$(BIN)/pytest -n 2 tests/browser

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
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis $(WEB)/node_modules $(WEB)/dist test-results
