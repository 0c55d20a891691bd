# Osprey: run it, test it, lint it. GNU make; see README.md.
#
#   make up       everything on this machine, with demo data; prints the URL and admin login
#   make down     stop what `make up` started
#   make test     every test against the real PostgreSQL and RabbitMQ
#   make lint     ruff check + ruff format --check
#   make migrate  create the database if missing and migrate every service
#   make web      build the web app (gateway/web) when it exists
#   make bench    run the benchmarks (bench/run.sh)
#   make bench-quick  a one-minute benchmark beside bench/baseline.json (bench/quick.py)
#   make mutation  how many changes to the rules the unit tests catch (tests/mutation/run.py)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Re-installed only when one of these changes (or .venv is new).
STAMP := $(VENV)/.osprey-installed
PYTEST_ARGS ?=

WEB := gateway/web
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) \
	$(wildcard $(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/tsconfig.json)

.PHONY: help up down test lint migrate web bench bench-quick mutation venv infra browser fonts mailservers office

help:
	@sed -n 's/^#   //p' Makefile

# --- Python environment ----------------------------------------------------------------
venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || { \
		echo "make: creating $(VENV) with $(PYTHON)"; \
		$(PYTHON) -m venv $(VENV) || { echo "make: python3.11 with venv is needed" \
			"(Debian: apt-get install python3-venv)" >&2; exit 1; }; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

# --- engines ----------------------------------------------------------------------------
# Starts PostgreSQL and RabbitMQ when installed but stopped; enables the management plugin.
infra:
	@deploy/local/infra.sh

migrate: venv infra
	$(BIN)/osprey migrate

# --- run --------------------------------------------------------------------------------
up: venv web fonts
	@deploy/local/up.sh

down:
	@deploy/local/down.sh

# --- web app (a no-op until gateway/web/package.json exists) -----------------------------
ifneq ($(wildcard $(WEB)/package.json),)
web: $(WEB)/dist/index.html

$(WEB)/node_modules/.osprey-installed: $(WEB)/package.json $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm (Node 20) is needed to build the web app" >&2; exit 1; }
	cd $(WEB) && npm ci --no-audit --no-fund
	@touch $@

$(WEB)/dist/index.html: $(WEB)/node_modules/.osprey-installed $(WEB_SOURCES)
	cd $(WEB) && npm run build
	@touch $@
else
web:
	@echo "make: no $(WEB)/package.json; no web app to build"
endif

# --- checks -----------------------------------------------------------------------------
# Headless Chromium for the browser tests (Debian's package; a no-op when present).
browser:
	@deploy/local/install-browser.sh

# The font the printable invoices embed (Debian's fonts-dejavu-core; a no-op when present).
fonts:
	@deploy/local/install-fonts.sh

# Dovecot and Postfix for the mail integration's tests, which start their own instances
# (Debian's packages; a no-op when present).
mailservers:
	@deploy/local/install-mail.sh

# LibreOffice Calc (headless) and python3-uno, which save the import tests' spreadsheets
# (Debian's packages; a no-op when present).
office:
	@deploy/local/install-office.sh

# The browser tests cannot run in the eventlet-patched pytest (tests/conftest.py), where
# they skip themselves; they run without the patching, after the others. Each part runs
# as TEST_JOBS pytest processes side by side (tests/support/shards.py: the files split by
# their time in tests/durations.json, a test database per process). Both parts always
# run; the target fails if either failed. PYTEST_ARGS go to every pytest.
TEST_JOBS ?= 2
test: venv infra web browser fonts mailservers office
	@status=0; \
	$(BIN)/python -m tests.support.shards --jobs $(TEST_JOBS) --ignore=tests/web \
		--durations=10 $(PYTEST_ARGS) || status=$$?; \
	OSPREY_NO_MONKEY_PATCH=1 $(BIN)/python -m tests.support.shards --jobs $(TEST_JOBS) \
		--within=tests/web $(PYTEST_ARGS) || status=$$?; \
	exit $$status

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv infra
	@if [ -x bench/run.sh ]; then bench/run.sh; \
	elif [ -f bench/run.sh ]; then bash bench/run.sh; \
	else echo "make: no bench/run.sh yet; see bench/ for the benchmarks that exist"; fi

# Under a minute: a few hundred requests of each lead figure and the floor, each printed
# beside bench/baseline.json (absolute and floor-normalized); REGRESSION lines come last.
bench-quick: venv infra
	@$(BIN)/python bench/quick.py

# --- mutation testing -------------------------------------------------------------------
# mutmut over every domain.py and services/platform/fields.py with the unit tests alone;
# MUTATE=services/sales/domain.py narrows it, MUTATION_ARGS=--show prints the survivors.
MUTATE ?=
MUTATION_ARGS ?=
mutation: venv
	$(BIN)/python tests/mutation/run.py $(MUTATE) $(MUTATION_ARGS)
