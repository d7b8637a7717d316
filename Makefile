# Every target builds its own virtual environment from scratch: a fresh machine needs only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export TZ := UTC
export AWS_DEFAULT_REGION ?= us-east-1
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

# The stage `make synth` synthesises (a section of infra/stages.toml).
STAGE ?= dev

# Everything mypy checks: the core strictly (pyproject.toml), the rest with the project's settings.
TYPED := layers/socialcare infra/socialcare_local infra/socialcare_infra chalice_config/app.py \
         chalice_config/chalicelib $(wildcard functions/*/handler.py)

.PHONY: demo local test test-fast lint bench synth layer clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	# chalice 1.34 requires pip < 26.3
	$(BIN)/python -m pip install -q --disable-pip-version-check 'pip==26.2'
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/socialcare demo

local: $(STAMP)
	$(BIN)/socialcare local

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(TYPED)
	$(BIN)/pytest -n 2 --dist loadgroup

test-fast: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup -m "not infra and not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(TYPED)

bench: $(STAMP)
	$(BIN)/python -m tests.bench

synth: $(STAMP)
	$(BIN)/python -m socialcare_infra.synth --stage $(STAGE)

layer: $(STAMP)
	$(BIN)/python -m socialcare_infra.layer

clean:
	rm -rf $(VENV) cdk.out infra/cdk.out build .pytest_cache .mypy_cache .ruff_cache .hypothesis
