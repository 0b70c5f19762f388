# OpsLab: two commands set everything up on a fresh machine.
#   make run   - create .venv, install, start the app on the sample data
#   make test  - create .venv, install (with test tools and the browser), run every test
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test test-fast test-spark bench bench-spark sample install install-dev install-spark browser java clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

$(VENV)/.spark: $(VENV)/.dev requirements-spark.txt
	$(PY) -m pip install -q -r requirements-spark.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev
install-spark: $(VENV)/.spark java

run: install
	@echo "OpsLab is starting at http://localhost:$(PORT) (sample data loaded)"
	$(PY) -m streamlit run serve.py --server.port $(PORT) --server.headless true

browser:
	@bash scripts/ensure_browser.sh

# Java 17 for local Spark (the Spark engine's tests and bench-spark).
java:
	@bash scripts/ensure_java.sh

# Two passes: everything on two workers, then the few tests that hold a time budget, alone on a
# quiet machine (see ARCHITECTURE.md, "How make test shares two cores").
test: install-dev install-spark browser
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder -q -m "not bench and not timed" --durations=25
	$(PY) -m pytest -p no:xdist -q -m "timed"

test-fast: install-dev
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder -q -m "not e2e and not slow and not bench"

bench: install-dev
	$(PY) -m bench.run

# Local Spark next to DuckDB on the same Parquet (10 M and 50 M events); see bench/RESULTS.md.
bench-spark: install-spark
	$(PY) -m bench.spark

test-spark: install-spark
	$(PY) -m pytest -p no:xdist -q -m spark

sample: install
	$(PY) -m opslab.synth --users 3000 --out sample_data

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
