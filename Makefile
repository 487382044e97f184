# Org Portal developer commands. `make run` and `make test` are the two that matter.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEV := DJANGO_SETTINGS_MODULE=config.settings.dev
STAMP := $(VENV)/.installed-$(shell cat requirements/dev.txt requirements/base.txt | cksum | cut -d' ' -f1)
BASE_STAMP := $(VENV)/.base-$(shell cat requirements/base.txt | cksum | cut -d' ' -f1)

.PHONY: help install install-base run serve migrate demo system-packages test test-fast lint format worker beat lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): requirements/base.txt requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked dependencies with the test tools into $(VENV) ..."
	@# pip older than 24 mis-resolves extras (coverage[toml]) in --require-hashes mode.
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	@rm -f $(VENV)/.installed-* $(VENV)/.base-*; touch $@ $(BASE_STAMP)

$(BASE_STAMP): requirements/base.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet --require-hashes -r requirements/base.txt
	@rm -f $(VENV)/.base-*; touch $@

install: $(STAMP) ## Create .venv and install the locked dependencies (with test tools)

install-base: $(BASE_STAMP) ## Create .venv with the runtime dependencies only

RANDOM = $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe($(1)))'
RELOAD_DIRS := $(foreach dir,$(wildcard */apps.py),--reload-dir $(patsubst %/,%,$(dir $(dir)))) --reload-dir config --reload-dir templates

.env:
	@printf 'DEBUG=true\nSECRET_KEY=%s\nDEMO_ADMIN_PASSWORD=%s\n' "$$($(call RANDOM,50))" "$$($(call RANDOM,9))" > .env
	@echo "Wrote .env for local development (DEBUG on, a random SECRET_KEY and demo password)."

migrate: install-base .env ## Apply database migrations
	@echo "Migrating the database ..."
	@$(DEV) LOG_LEVEL=WARNING $(BIN)/python manage.py migrate --no-input --verbosity 0

demo: migrate ## Load the idempotent demo data
	@grep -q '^DEMO_ADMIN_PASSWORD=' .env || printf 'DEMO_ADMIN_PASSWORD=%s\n' "$$($(call RANDOM,9))" >> .env
	@$(DEV) LOG_LEVEL=WARNING $(BIN)/python manage.py load_demo_data --verbosity 0

run: demo ## Set up everything and serve on http://$(HOST):$(PORT) with demo data
	@$(DEV) $(BIN)/python manage.py demo_summary --url http://$(HOST):$(PORT)
	@$(DEV) LOG_LEVEL=$${LOG_LEVEL:-WARNING} $(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --ws websockets-sansio --no-access-log --log-level warning --reload $(RELOAD_DIRS)

serve: install-base .env ## Serve without migrating or loading demo data
	$(DEV) $(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --ws websockets-sansio

system-packages: ## Install (as root) or name the system packages the tests use
	@scripts/system-packages.sh

TEST_WORKERS ?= 2

test: install system-packages ## Run the whole suite against real PostgreSQL and Redis
	@# One pytest-xdist worker per core (TEST_WORKERS=1 for one process); each has its
	@# own test database, Redis database and media directories.
	$(BIN)/python -m tests.services -- $(BIN)/python -m pytest --ignore=tests/browser -n $(TEST_WORKERS) $(PYTEST_ARGS)
	@# Browser tests in their own process: Playwright's sync API keeps an event loop
	@# running in the main thread, which async tests and async-unsafe checks trip over.
	$(BIN)/python -m tests.services -- $(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

lint: install ## ruff format check and lint, layers between the apps, type check
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy .

format: install ## Apply ruff formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: install-base .env ## Celery worker consuming every queue
	$(DEV) $(BIN)/celery -A config worker --loglevel INFO -Q default,documents,notifications,maintenance

beat: install-base .env ## Celery beat scheduler
	$(DEV) $(BIN)/celery -A config beat --loglevel INFO

lock: ## Re-lock requirements/*.txt from pyproject.toml (hash-pinned, no URLs)
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --no-header -o requirements/base.txt
	uv pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 --no-header -o requirements/dev.txt

clean: ## Remove the virtualenv, local database and collected files
	rm -rf $(VENV) db.sqlite3* staticfiles .test-media .pytest_cache
