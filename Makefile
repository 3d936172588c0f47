# zhufang: setup, demo and checks.
#
#   make demo    install what is missing, then build and serve the demo county
#   make test    install what is missing, then lint, type-check and run the tests
#
# Installs are remembered with stamp files in .venv/ and
# zhufang/web/static/vendor/, so a second run skips them.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# apt, pip and npm steps must not race each other under `make -j`.
.NOTPARALLEL:
.DELETE_ON_ERROR:

PYTHON    ?= python3
VENV      := .venv
PY        := $(VENV)/bin/python
PIP       := $(PY) -m pip
DEMO_SIZE ?= demo
BENCH     ?=

# Debian packages. nodejs/npm only when npm is not already on PATH (developer
# machines carry their own Node.js; Debian's npm must not be installed over it).
NODE_PKGS := $(if $(shell command -v npm 2>/dev/null),,nodejs npm)
DEMO_PKGS := gettext $(NODE_PKGS)
TEST_PKGS := gettext chromium fonts-noto-cjk $(NODE_PKGS)

BASE_STAMP := $(VENV)/.installed-base
TEST_STAMP := $(VENV)/.installed-test

# Directories compilemessages must not walk into.
MSG_IGNORE := --ignore=.venv --ignore=.git --ignore=frontend --ignore=var \
              --ignore=staticfiles --ignore=node_modules

step = @printf '\n==> %s\n' $(1)

.PHONY: help venv install install-test system-demo system-test assets messages \
        demo test lint check-migrations test-postgres test-sqlite bench clean

help:
	@echo 'make demo       install, then build the demo county (DEMO_SIZE=$(DEMO_SIZE)) and serve it'
	@echo 'make test       install, then ruff, mypy, migrations check, pytest on PostgreSQL and SQLite'
	@echo 'make lint       ruff and mypy only'
	@echo 'make bench      .venv/bin/zhufang bench $$(BENCH)'
	@echo 'make clean      remove .venv, node_modules, vendor assets, caches, compiled messages'

# ---------------------------------------------------------------- installs

venv: $(PY)

# Debian ships venv's ensurepip separately, in python3-venv.
$(PY):
	$(call step,"creating $(VENV) with $(PYTHON)")
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "error: $(PYTHON) is older than Python 3.11" >&2; exit 1; }
	$(PYTHON) -c 'import ensurepip' 2>/dev/null || scripts/ensure_system_packages.sh python3-venv
	$(PYTHON) -m venv $(VENV)

install: $(BASE_STAMP)

$(BASE_STAMP): requirements/base.txt pyproject.toml | $(PY)
	$(call step,"installing requirements/base.txt and zhufang into $(VENV)")
	$(PIP) install -q --disable-pip-version-check -r requirements/base.txt
	$(PIP) install -q --disable-pip-version-check --no-deps -e .
	@touch $@

install-test: $(TEST_STAMP)

# test.txt includes base.txt, so this also satisfies the base stamp.
$(TEST_STAMP): requirements/test.txt requirements/base.txt pyproject.toml | $(PY)
	$(call step,"installing requirements/test.txt and zhufang into $(VENV)")
	$(PIP) install -q --disable-pip-version-check -r requirements/test.txt
	$(PIP) install -q --disable-pip-version-check --no-deps -e .
	@touch $(BASE_STAMP) $@

system-demo:
	$(call step,"system packages: $(strip $(DEMO_PKGS))")
	scripts/ensure_system_packages.sh $(DEMO_PKGS)

system-test:
	$(call step,"system packages: $(strip $(TEST_PKGS))")
	scripts/ensure_system_packages.sh $(TEST_PKGS)

# scripts/build_assets.sh keeps its own stamp (lock file + script hash).
assets:
	$(call step,"front-end assets into zhufang/web/static/vendor/")
	scripts/build_assets.sh

# compilemessages itself skips .mo files newer than their .po.
messages: | $(BASE_STAMP)
	$(call step,"compiling translations")
	@if [ -z "$$(find . \( -path ./.venv -o -path ./.git -o -path ./frontend -o -path ./var \) -prune \
	        -o -name '*.po' -print -quit)" ]; then \
	  echo "no .po files yet: nothing to compile"; \
	else \
	  $(PY) manage.py compilemessages $(MSG_IGNORE); \
	fi

# ---------------------------------------------------------------- demo

demo: system-demo $(BASE_STAMP) assets messages
	$(call step,"zhufang demo --size $(DEMO_SIZE)")
	$(VENV)/bin/zhufang demo --size $(DEMO_SIZE)

bench: $(TEST_STAMP)  # the peers it compares with (geopandas) are test requirements
	$(call step,"zhufang bench $(BENCH)")
	$(VENV)/bin/zhufang bench $(BENCH)

# ---------------------------------------------------------------- checks

lint: $(TEST_STAMP)
	$(call step,"ruff check .")
	$(VENV)/bin/ruff check .
	$(call step,"mypy zhufang")
	$(VENV)/bin/mypy zhufang

check-migrations: $(TEST_STAMP)
	$(call step,"makemigrations --check --dry-run")
	$(PY) manage.py makemigrations --check --dry-run

# The whole suite, on PostgreSQL (scripts/ensure_postgres.sh prints the URL
# last). pytest's exit code 5 (no tests collected) fails the target like any
# other non-zero code.
test-postgres: $(TEST_STAMP)
	$(call step,"PostgreSQL")
	db_url="$$(scripts/ensure_postgres.sh | tail -n 1)"; \
	[ -n "$$db_url" ] || { echo "error: scripts/ensure_postgres.sh printed no URL" >&2; exit 1; }; \
	printf '\n==> pytest -n 2 on %s\n' "$$db_url"; \
	DATABASE_URL="$$db_url" $(VENV)/bin/pytest -n 2

# The subset marked `sqlite`, on the embedded SQLite database.
test-sqlite: $(TEST_STAMP)
	$(call step,"pytest -n 2 -m sqlite on SQLite")
	env -u DATABASE_URL $(VENV)/bin/pytest -n 2 -m sqlite

test: system-test $(TEST_STAMP) assets messages lint check-migrations test-postgres test-sqlite
	$(call step,"make test: all steps passed")

# ---------------------------------------------------------------- clean

clean:
	rm -rf $(VENV) frontend/node_modules zhufang/web/static/vendor \
	  .mypy_cache .ruff_cache .pytest_cache .hypothesis staticfiles *.egg-info
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.mo' \) -print0 \
	  | xargs -0 rm -rf
