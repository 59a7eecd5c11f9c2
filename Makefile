# Front door of luckin-lab. Every target does its own set-up on a fresh machine.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCALE ?= seed
DATA ?= data/demo/$(SCALE)

.PHONY: help env env-spark mysql-headers data reports lab test test-slow lint bench clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "python3.11 not found"; exit 1; }
	@$(MAKE) -s mysql-headers
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (luckin-lab)" >/dev/null
	touch $(STAMP)

env: $(STAMP)  ## create the local virtual environment (once; reused)

env-spark: $(STAMP)  ## add pyspark (the .[spark] extra) so spark: sources and the Spark tests run; needs Java
	@$(BIN)/python -c "import pyspark" 2>/dev/null || $(BIN)/pip install -q -e '.[dev,spark]'
	@command -v java >/dev/null || test -n "$$JAVA_HOME" || echo "Spark needs Java: sudo apt-get install openjdk-17-jre-headless"

# mysqlclient (the driver of sql:mysql:// sources) has no Linux wheel: it builds against
# the MariaDB client headers. Installed here when missing (Debian/Ubuntu, as root).
mysql-headers:
	@pkg-config --exists libmariadb 2>/dev/null || pkg-config --exists mysqlclient 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmariadb-dev pkg-config gcc; \
	  else \
	    echo "mysqlclient needs the MariaDB client headers: sudo apt-get install libmariadb-dev pkg-config gcc"; exit 1; \
	  fi; }

data: $(STAMP)  ## build the seed-scale demo store if missing (SCALE=small|seed|large)
	@test -f $(DATA)/store.duckdb || $(BIN)/luckin-lab synth --scale $(SCALE) --out $(DATA)

reports: data  ## build demo data if missing, run every scheduled report, render HTML and PDF
	$(BIN)/luckin-lab run-all

lab: $(STAMP)  ## JupyterLab on the project kernel (explorers in notebooks/explore; results go to scratch/)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --MappingKernelManager.default_kernel_name=python3 \
	  --KernelManager.transport_encryption=auto \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root)  # as root (containers) Jupyter needs the flag

test: $(STAMP)  ## fast test suite (small scale); slow seed-scale checks excluded
	$(BIN)/ruff check luckin_lab tests benchmarks
	$(BIN)/python -m pytest -m "not slow" -n 2 --dist loadgroup -q

test-slow: $(STAMP)  ## seed-scale statistical checks (minutes)
	$(BIN)/python -m pytest -m slow -q

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check luckin_lab tests benchmarks

bench: $(STAMP)  ## benchmarks; writes benchmarks/RESULTS.md
	$(BIN)/python -m benchmarks.run

clean:  ## remove generated data and reports (keeps the environment)
	rm -rf data scratch reports/*/ reports/index.html
