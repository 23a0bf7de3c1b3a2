# dondoc — two commands: `make up` runs the product, `make test` runs the whole suite.
# Both set everything up first from the lock file (uv.lock), on a machine with Python 3.11 and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
BOOTSTRAP := .bootstrap
UV := $(BOOTSTRAP)/bin/uv
VENV := .venv

.PHONY: up test lint setup clean bench

up: $(VENV)/.synced
	$(VENV)/bin/dondoc up

test: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

# Throughput on the real dev server (a few minutes; not part of `make test`); see docs/benchmarks.md.
bench: $(VENV)/.synced
	$(VENV)/bin/python -m bench

setup: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --python $(PYTHON)
	touch $@

clean:
	rm -rf $(VENV) $(BOOTSTRAP) .mypy_cache .ruff_cache .pytest_cache
