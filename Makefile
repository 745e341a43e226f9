# The team's habits. Each target creates or reuses the local virtual environment (.venv) and
# installs what it needs, so on a fresh machine `make demo` and `make test` are all the set-up.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BASE_STAMP := $(VENV)/.installed-base
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test test-unit test-infra test-e2e bench bench-wide bench-filings bench-steps synth docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The engine and the `clearance` command only (enough for the demo).
$(BASE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# Everything the tests need: AWS libraries, moto, CDK, document readers, the docs builder.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,aws,cdk,docs]'
	touch $@ $(BASE_STAMP)

## demo: generate a seeded synthetic DOJ file and run the whole local job on it (no AWS account).
demo: $(BASE_STAMP)
	$(BIN)/clearance demo --out demo-output

## test: the whole test suite (unit, infrastructure, end to end), on both cores.
test: $(DEV_STAMP)
	$(BIN)/pytest -n 2 -q

test-unit: $(DEV_STAMP)
	$(BIN)/pytest -n 2 -q tests/unit

test-infra: $(DEV_STAMP)
	$(BIN)/pytest -q tests/infra

test-e2e: $(DEV_STAMP)
	$(BIN)/pytest -q tests/e2e

## bench: one million synthetic rows through `clearance run`, as a whole process, against a baseline.
bench: $(BASE_STAMP)
	$(BIN)/python tests/bench/bench_engine.py

## bench-wide: the same on about 800-byte rows (padded fields, long comments), as real extracts are.
bench-wide: $(BASE_STAMP)
	$(BIN)/python tests/bench/bench_engine.py --wide

bench-filings: $(BASE_STAMP)
	$(BIN)/python tests/bench/bench_filings.py

## bench-steps: the cloud steps (split, evaluate a shard, combine, render) timed locally, for sizing.
bench-steps: $(BASE_STAMP)
	$(BIN)/python tests/bench/bench_steps.py

## synth: synthesize the county stack offline into cdk.out (source-only Lambda packages; the cdk-nag
## checks run). `npx cdk deploy` builds the real packages with pip.
synth: $(DEV_STAMP)
	$(BIN)/python cdk/app.py clearance:lambdaBundling=source

## docs: build the documentation site with strict link checking.
docs: $(DEV_STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf demo-output bench-output site cdk.out .pytest_cache
