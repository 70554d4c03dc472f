# pytest-deployready: developer and CI entry points. `make test PYTEST_ARGS="-k compose -n 2"`.
SHELL := /bin/bash
VENV := .venv
PYTEST_ARGS ?=

.PHONY: bootstrap services test lint docs demo clean

## bootstrap: Debian packages (as root) and .venv with the project installed (idempotent)
bootstrap:
	bash scripts/bootstrap.sh

## services: a local Docker engine (dockerd, no bridge/iptables) and the busybox test image
services: bootstrap
	bash scripts/dockerd.sh

## test: the test suite against real PostgreSQL, Redis, HTTP and Docker on 127.0.0.1
test: bootstrap services
	@rc=0; $(VENV)/bin/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then \
		echo "make test: pytest collected no tests (exit 5); that is a failure here" >&2; \
	fi; \
	exit $$rc

## lint: ruff (check and format) and mypy --strict (config in pyproject.toml)
lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	@# each example suite is its own project (its own conftest.py): one mypy run per suite
	@for suite in example_suites/*/; do $(VENV)/bin/mypy --strict "$$suite" || exit 1; done

## docs: the documentation site, warnings are errors
docs: bootstrap
	$(VENV)/bin/mkdocs build --strict

## demo: the demo stack and example suites (Compose services only where an engine runs)
demo: bootstrap
	@bash scripts/dockerd.sh || echo "make demo: no Docker engine, the demo runs without Compose services" >&2
	$(VENV)/bin/deployready demo

## clean: build outputs and caches (keeps .venv and any running dockerd)
clean:
	rm -rf build dist site *.egg-info .pytest_cache .mypy_cache .ruff_cache
	find . -path ./.venv -prune -o -type d -name __pycache__ -exec rm -rf {} +

## bench: benchmarks, not part of test (~10 min): prints a table, writes bench/RESULTS.md
.PHONY: bench
bench: bootstrap services
	bash bench/setup.sh && $(VENV)/bin/python bench/run.py
