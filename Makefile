# amqpsim: `make demo` and `make test` work on a fresh clone with nothing but Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LAB_STAMP := $(VENV)/.lab-stamp

.PHONY: demo test test-fast conformance cluster-conformance bench lint lab clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run the showcase scenario (an online store) and write its report.
demo: $(STAMP)
	$(BIN)/amqpsim run scenarios/online-store.yaml --report reports/online-store

## Every test: unit, property, scenario goldens, notebooks, conformance (skips without a broker
## unless AMQPSIM_REQUIRE_BROKER=1).
test: $(STAMP)
	$(BIN)/ruff check amqpsim tests benchmarks
	$(BIN)/mypy amqpsim
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not notebook and not conformance and not browser and not cluster"

conformance: $(STAMP)
	AMQPSIM_REQUIRE_BROKER=1 $(BIN)/python -m pytest tests/conformance

## Cluster experiments on fresh real 3-node RabbitMQ clusters (root, iptables, rabbitmq-server;
## .ci/cluster/ starts and stops them) and on amqpsim.pika's simulated cluster, ~4-6 min.
cluster-conformance: $(STAMP)
	AMQPSIM_REQUIRE_CLUSTER=1 $(BIN)/python -m pytest tests/cluster_conformance

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

$(LAB_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	touch $(LAB_STAMP)

## Open notebooks/ in JupyterLab (installs the [lab] extra into .venv the first time).
## (--allow-root only when run as root, which Jupyter refuses otherwise.)
lab: $(LAB_STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

lint: $(STAMP)
	$(BIN)/ruff check amqpsim tests benchmarks
	$(BIN)/mypy amqpsim

clean:
	rm -rf $(VENV) reports .pytest_cache .hypothesis
