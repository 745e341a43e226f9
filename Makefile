# The team's habits. Each target creates or reuses the local virtual environment (.venv) and
# installs what it needs, so on a fresh machine `make demo` and `make test` are all the set-up.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BASE_STAMP := $(VENV)/.installed-base
DEV_STAMP := $(VENV)/.installed-dev
LINT_VENV := .venv-lint
LINT_STAMP := $(LINT_VENV)/.installed

.PHONY: demo test lint typecheck format test-unit test-infra test-e2e bench bench-wide bench-filings bench-steps synth synth-source lint-infra smoke docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The engine and the `clearance` command only (enough for the demo).
# pip compiles an installed package's bytecode, but an editable install leaves the kit's own source
# uncompiled; where PYTHONDONTWRITEBYTECODE is set (as on CI machines) every run of `clearance` would
# then compile its 10,000 lines again (a tenth of a second). compileall does what pip would.
$(BASE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/python -m compileall -q -j 0 blueprint
	touch $@

# Everything the tests need: AWS libraries, moto, CDK, document readers, the docs builder.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,aws,cdk,docs,lint]'
	$(BIN)/python -m compileall -q -j 0 blueprint
	touch $@ $(BASE_STAMP)

## demo: generate a seeded synthetic DOJ file and run the whole local job on it (no AWS account).
demo: $(BASE_STAMP)
	$(BIN)/clearance demo --out demo-output

## test: the whole test suite (unit, infrastructure, end to end, the Lambda packages built as deployed),
## on both cores. The package build needs PyPI the first time (pip's cache after).
test: $(DEV_STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup -q

## lint: ruff's checks (bugs: unused or undefined names, late-bound loop variables...) and the format
## check, on the whole repository. Rules and pinned versions are in pyproject.toml.
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## typecheck: mypy on the package and the Lambda handlers (blueprint/, functions/; pyproject.toml).
typecheck: $(DEV_STAMP)
	$(BIN)/mypy

## format: rewrite the files in the project's format (what `make lint` checks).
format: $(DEV_STAMP)
	$(BIN)/ruff format .

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

## synth: synthesize the county stack into cdk.out with the Lambda packages built as `cdk deploy` builds
## them (pip, manylinux wheels; the cdk-nag checks run), and report each package's size.
synth: $(DEV_STAMP)
	$(BIN)/python cdk/app.py
	$(BIN)/python -m cdk.package_report cdk.out

## synth-source: the same, offline and fast, with source-only packages (not deployable).
synth-source: $(DEV_STAMP)
	$(BIN)/python cdk/app.py clearance:lambdaBundling=source

## lint-infra: cfn-lint and checkov on the synthesized template; every finding must be reviewed in
## lint/accepted-findings.yaml (the tools live in their own environment, .venv-lint).
$(LINT_STAMP): lint/requirements.txt
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/pip install --quiet --upgrade pip
	$(LINT_VENV)/bin/pip install --quiet -r lint/requirements.txt
	touch $@

lint-infra: $(DEV_STAMP) $(LINT_STAMP)
	$(BIN)/python lint/lint_infra.py

## smoke: check a deployed county stack end to end in a TEST account (not run in CI): a synthetic DOJ
## file uploaded, the review approved, the filings checked (smoke/smoke.py; docs/deployment.md).
##   make smoke PROFILE=<aws profile> [DEPLOY=1] [STACK=ClearanceKit-<county>] [ROWS=2000]
smoke: $(DEV_STAMP)
	@test -n "$(PROFILE)" || { echo "make smoke needs PROFILE=<AWS profile of the test account>"; exit 2; }
ifeq ($(DEPLOY),1)
	npm ci --silent
	npx cdk deploy --profile $(PROFILE) --require-approval never
endif
	$(BIN)/python -m smoke.smoke --profile $(PROFILE) $(if $(STACK),--stack $(STACK)) --rows $(or $(ROWS),2000)

## docs: build the documentation site with strict link checking.
docs: $(DEV_STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf demo-output bench-output site cdk.out .pytest_cache
