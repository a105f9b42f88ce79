# Two entry points: `make up` runs the service, `make test` runs the tests.
# Both create .venv and install the project into it when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

up: $(STAMP)
	$(BIN)/feeds up

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check feeds tests
	$(BIN)/ruff format --check feeds tests

format: $(STAMP)
	$(BIN)/ruff format feeds tests
	$(BIN)/ruff check --fix feeds tests

clean:
	rm -rf $(VENV) .pytest_cache
