# Two entry points: `make up` runs the service, `make test` runs the tests.
# Both create .venv and install the project into it when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CLIENT := clients/typescript
CHROMIUM ?= /usr/bin/chromium

.PHONY: up test test-deps lint format bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

up: $(STAMP)
	$(BIN)/feeds up

test: $(STAMP) test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Tools of the browser, TypeScript client and compose schema tests. Chromium
# comes from Debian's package when make runs as root. Without a tool, make
# goes on and the tests that need it fail with a message.
test-deps: $(CLIENT)/node_modules/.installed
	@if [ ! -x $(CHROMIUM) ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	            apt-get install -y -q chromium \
	            || echo "installing chromium failed" >&2; \
	    else \
	        echo "$(CHROMIUM) is missing: install Debian's chromium package" >&2; \
	    fi; \
	fi

$(CLIENT)/node_modules/.installed: $(CLIENT)/package.json $(CLIENT)/package-lock.json
	@if command -v npm >/dev/null; then \
	    cd $(CLIENT) && npm ci --no-audit --no-fund && touch node_modules/.installed; \
	else \
	    echo "npm is missing: install Node.js 20 or later with npm" >&2; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check feeds tests
	$(BIN)/ruff format --check feeds tests

format: $(STAMP)
	$(BIN)/ruff format feeds tests
	$(BIN)/ruff check --fix feeds tests

# Benchmarks: bench/RESULTS.md. BENCH_SCALE=small runs small sizes.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

# Refresh 5,000 local feeds for SOAK_SECONDS while killing workers and
# restarting an embedded PostgreSQL; docs/RELIABILITY.md explains the checks.
# SOAK_ARGS passes options, such as --keep; python -m soak --help lists them.
SOAK_SECONDS ?= 600
soak: $(STAMP)
	SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/python -m soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
