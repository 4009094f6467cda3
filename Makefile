# Two commands matter: `make run` and `make test`. Everything installs into .venv/ from
# requirements/lock.txt, so a fresh machine gets exactly the versions we tested.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config/paper.toml
# pytest workers (pytest-xdist); tests that share an expensive set-up stay on one worker
PYTEST_WORKERS ?= 2

.PHONY: install test lint typecheck layers pytest run plan bench lock clean

install: $(STAMP)

$(STAMP): requirements/lock.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

test: install lint typecheck layers pytest

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy src

layers: install
	$(BIN)/lint-imports

pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

run: install
	$(BIN)/rebalancer run --config $(CONFIG)

plan: install
	$(BIN)/rebalancer plan --config config/example.toml --portfolio core --snapshot config/example-snapshot.json

bench: install
	$(BIN)/python benchmarks/run_all.py

lock:
	$(BIN)/pip-compile --quiet --extra dev --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements/lock.txt pyproject.toml

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
