# OpsLab: two commands set everything up on a fresh machine.
#   make run   - create .venv, install, start the app on the sample data
#   make test  - create .venv, install (with test tools and the browser), run every test
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test test-fast bench sample install install-dev browser clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: install
	@echo "OpsLab is starting at http://localhost:$(PORT) (sample data loaded)"
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true

browser:
	@bash scripts/ensure_browser.sh

test: install-dev browser
	$(PY) -m pytest -n 2 --dist loadfile -q -m "not bench"

test-fast: install-dev
	$(PY) -m pytest -n 2 --dist loadfile -q -m "not e2e and not slow and not bench"

bench: install-dev
	$(PY) -m bench.run

sample: install
	$(PY) -m opslab.synth --users 3000 --out sample_data

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
