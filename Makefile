# evaltools: the two commands a newcomer needs are `make demo` and `make test`.
# Everything is installed into .venv from requirements.lock, so a rerun months later
# computes with the same package versions.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.evaltools-installed
EXTRAS ?= dev
DEMO_DIR  ?= build/demo-study
DEMO_SEED ?= 20240901
# 3: a three-arm demo (a second intervention arm), e.g. make demo DEMO_ARMS=3
DEMO_ARMS ?= 2
# the demo's own register, whatever EVALTOOLS_REGISTER says (demo data never enter a shared one)
DEMO_REGISTER ?= sqlite:///reports/register.sqlite
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help bootstrap demo test lab lint lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "evaltools needs Python 3.11 or newer; $(PYTHON) is " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create $(VENV). On Debian or Ubuntu: apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[$(EXTRAS)]"
	@touch $(STAMP)

bootstrap: $(STAMP)  ## create .venv (if missing) and install evaltools with locked versions

demo: bootstrap  ## generate the synthetic demo study and run the main job on it
	$(BIN)/evaltools demo $(DEMO_DIR) --seed $(DEMO_SEED) --arms $(DEMO_ARMS) --force
	$(BIN)/evaltools validate $(DEMO_DIR)
	@# one scheduled-style run: ingest, every declared report in warm kernels, the register and
	@# the "Wat werkt" overview (a rerun keeps one superseded copy per report, never more)
	$(BIN)/evaltools run $(DEMO_DIR) --reports-dir reports --register $(DEMO_REGISTER)
	@echo
	@echo "Demo study:        $(DEMO_DIR)/study.yml"
	@echo "Wave files:        $(DEMO_DIR)/data/raw/"
	@echo "Ingested data:     $(DEMO_DIR)/store/ (pseudonymised; problem tables in store/validation/)"
	@echo "True effects:      $(DEMO_DIR)/truth/true_effects.csv"
	@echo "Reports:           reports/veerkracht-demo/index.html"
	@echo "Site synthesis:    reports/veerkracht-demo/t1/all/site_synthesis/report.html"
	@echo "Evidence register: reports/register.sqlite (evaltools register show)"
	@echo "Wat werkt:         reports/wat-werkt/nl/report.html (English: reports/wat-werkt/en/)"

test: bootstrap  ## run the whole test suite (no network, no R needed)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lab:  ## open JupyterLab on the notebooks
	$(MAKE) bootstrap EXTRAS=dev,lab STAMP=$(VENV)/.evaltools-installed-lab
	$(BIN)/jupyter lab notebooks/

lint: bootstrap  ## ruff over the code
	$(BIN)/ruff check evaltools tests benchmarks

lock:  ## re-resolve requirements.lock from pyproject.toml (needs the package index)
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check ".[dev,lab]"
	@{ echo "# Exact versions evaltools is tested with. Regenerate with 'make lock'."; \
	   echo "# Python $$(build/lock-venv/bin/python -c 'import platform; print(platform.python_version())'), generated $$(date -u +%Y-%m-%d)"; \
	   build/lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^evaltools' ; } > requirements.lock
	rm -rf build/lock-venv

clean:  ## remove the virtual environment and generated files (never study data outside build/)
	rm -rf $(VENV) build .pytest_cache
