# kefu — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
PIP := $(BIN)/python -m pip -q --disable-pip-version-check
# every install takes the exact versions in constraints.txt (reproducible; CI uses the same)
CONSTRAINTS := -c constraints.txt

.PHONY: run test install install-dev browsers lint typecheck pytest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install $(CONSTRAINTS) -e .
	touch $@

$(DEV_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install $(CONSTRAINTS) -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

## make run: install, migrate the embedded SQLite database under ./var/, load demo data, serve.
run: install
	$(BIN)/kefu up

## make test: install what tests need (Python packages, Debian's chromium) and run everything.
test: install-dev browsers lint typecheck pytest

browsers:
	bash scripts/ensure-chromium.sh

## lint: ruff (rules + formatting) and the import contracts in .importlinter (layers, no SQL in web/).
## PYTHONPATH makes lint-imports read this checkout's src/, whatever the editable install points at.
lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	PYTHONPATH=$(CURDIR)/src $(BIN)/lint-imports

typecheck:
	$(BIN)/mypy src

pytest:
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
