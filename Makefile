# One entry point for people and CI. `make local` runs the example service on the dev server;
# `make test` installs everything a fresh machine lacks, then lints, type-checks, tests and synthesizes.
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PATH := $(CURDIR)/$(BIN):$(PATH)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup local test lint pytest synth bench mutate clean vendor-docs

setup: $(VENV)/.installed node_modules/.installed /usr/bin/chromium

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser tests drive Debian's Chromium; no tool downloads a browser of its own.
/usr/bin/chromium:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null

local: $(VENV)/.installed
	$(BIN)/eventual local

test: setup lint pytest synth

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

pytest: $(VENV)/.installed
	$(BIN)/pytest

# cdk-nag runs inside the synth (app.py); cfn-lint then checks the templates: errors fail, warnings don't.
synth: $(VENV)/.installed node_modules/.installed
	npx cdk synth --quiet
	$(BIN)/cfn-lint --non-zero-exit-code error cdk.out/*.template.json

# The AsyncAPI React component's standalone bundle, served by `eventual local` at /__eventual/docs:
# copied from the version package-lock.json pins, so users need no Node (a test keeps them equal).
DOCS_VENDOR := eventual/local/docs/asyncapi-react
vendor-docs: node_modules/.installed
	mkdir -p $(DOCS_VENDOR)
	cp node_modules/@asyncapi/react-component/browser/standalone/index.js \
	   node_modules/@asyncapi/react-component/browser/standalone/index.js.LICENSE.txt \
	   node_modules/@asyncapi/react-component/styles/default.min.css \
	   node_modules/@asyncapi/react-component/LICENSE $(DOCS_VENDOR)/
	node -p 'require("@asyncapi/react-component/package.json").version' > $(DOCS_VENDOR)/VERSION

bench: setup
	$(BIN)/python -m benchmarks

# Mutation testing (docs/mutation.md), not part of `make test` or CI: every group, or those named
# in MUTATE (`make mutate MUTATE="middleware broadcast"`). mutmut is installed here, pinned.
MUTMUT := mutmut==3.8.1
mutate: $(VENV)/.installed
	$(BIN)/pip install -q '$(MUTMUT)'
	$(BIN)/python -m mutate $(MUTATE)

clean:
	rm -rf $(VENV) node_modules cdk.out build .pytest_cache .mypy_cache .ruff_cache
