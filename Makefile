# ckanext-datagovernance: the two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(VENV)/bin/pip
CKAN    := $(VENV)/bin/ckan
STAMPS  := .make
INI     ?= ckan.ini
DB      ?= datagovernance
TEST_DB ?= datagovernance_test
DB_URL  ?= postgresql://datagovernance:pass@127.0.0.1:5432/$(DB)
REDIS_URL ?= redis://127.0.0.1:6379/0?socket_timeout=3600
PORT    ?= 5000
ADMIN   ?= admin
ADMIN_PASSWORD ?= Admin-Datenkatalog-1
PYTEST_ARGS ?=
# pytest-xdist workers (each with its own database, Redis database and storage,
# see ckanext/datagovernance/tests/conftest.py); 0 runs the suite in one process.
PYTEST_WORKERS ?= 2

.PHONY: help run setup test services venv db migrate i18n lint bench bench-dcat dcatde clean

help:
	@echo "make run    install everything, set up the database and start CKAN on http://127.0.0.1:$(PORT) with its workers (Procfile)"
	@echo "make test   the same set-up with its own test database, then the whole test suite"
	@echo "make bench  search benchmark (bench/search.py, see README)"
	@echo "make bench-dcat  DCAT feed benchmark (bench/dcat.py, see README)"
	@echo "make dcatde DCATDE_SRC=<checkout>  GovData's ckanext-dcatde for tests/dcat/test_dcatde.py"

services:
	@bin/ensure-services.sh

$(STAMPS):
	@mkdir -p $(STAMPS)

# Re-installs only when a dependency file changed.
$(STAMPS)/venv: requirements.txt dev-requirements.txt pyproject.toml setup.py | $(STAMPS)
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "==> installing pinned dependencies into $(VENV)"
	@$(PIP) install -q --upgrade pip setuptools wheel
	@$(PIP) install -q -r requirements.txt -r dev-requirements.txt
	@$(PIP) install -q --no-deps -e .
	@touch $@

venv: services $(STAMPS)/venv

# Compiled catalogues are build output (git-ignored); rebuilt when a .po changes.
PO_FILES := $(wildcard ckanext/datagovernance/i18n/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)
%.mo: %.po
	@msgfmt --check -o $@ $<
i18n: $(MO_FILES)

$(INI): config/ckan.ini.template
	@if [ -f $(INI) ]; then \
	  echo "==> $(INI) exists (template newer? compare with config/ckan.ini.template)"; touch $(INI); \
	else \
	  echo "==> writing $(INI)"; mkdir -p var/storage; \
	  sed -e "s|@SECRET_KEY@|$$(head -c 24 /dev/urandom | base64 | tr -d '/+=')|" \
	      -e "s|@SQLALCHEMY_URL@|$(DB_URL)|" -e "s|@REDIS_URL@|$(REDIS_URL)|" \
	      -e "s|@STORAGE_PATH@|$(CURDIR)/var/storage|" -e "s|@PORT@|$(PORT)|g" $< > $(INI); \
	fi

db: services
	@bin/ensure-db.sh $(DB)

migrate: venv db $(INI) i18n
	@echo "==> migrating database $(DB)"
	@$(CKAN) -c $(INI) db init >/dev/null
	@$(CKAN) -c $(INI) db pending-migrations --apply >/dev/null

setup: migrate
	@$(CKAN) -c $(INI) user list 2>/dev/null | grep -qx "name=$(ADMIN)" || \
	  $(CKAN) -c $(INI) user add $(ADMIN) email=admin@example.org password=$(ADMIN_PASSWORD) >/dev/null
	@$(CKAN) -c $(INI) sysadmin add $(ADMIN) >/dev/null 2>&1 || true
	@echo "==> demo municipality Offenbach am Main (idempotent)"
	@$(CKAN) -c $(INI) datagovernance demo

run: setup
	@echo
	@echo "  CKAN:  http://127.0.0.1:$(PORT)"
	@echo "  Login: $(ADMIN) / $(ADMIN_PASSWORD) (sysadmin)"
	@echo "  Processes (Procfile): web, jobs worker, harvest gather/fetch, scheduler; Ctrl-C stops all"
	@echo
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" CKAN_INI=$(INI) $(VENV)/bin/honcho -f Procfile start -p $(PORT)

test: venv i18n
	@bin/ensure-browser.sh
	@bin/ensure-db.sh $(TEST_DB)
	@bin/ensure-replication.sh
	@CKAN_SQLALCHEMY_URL=$${CKAN_SQLALCHEMY_URL:-postgresql://datagovernance:pass@127.0.0.1:5432/$(TEST_DB)} \
	  $(VENV)/bin/pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

lint: venv
	@$(VENV)/bin/ruff check ckanext bench

bench: venv
	@bin/ensure-db.sh datagovernance_bench
	@$(PY) bench/search.py $(BENCH_ARGS)

bench-dcat: venv
	@bin/ensure-db.sh datagovernance_bench_dcat
	@$(PY) bench/dcat.py $(BENCH_ARGS)

# GovData's ckanext-dcatde is not on PyPI: installed from a checkout of its
# source for tests/dcat/test_dcatde.py (skipped without it). --no-deps: its pin
# of ckanext-dcat 2.3.0 would downgrade ours; only its RDF profile is used.
DCATDE_SRC ?=
dcatde: venv
	@test -n "$(DCATDE_SRC)" || { echo "usage: make dcatde DCATDE_SRC=<checkout of ckanext-dcatde>"; exit 2; }
	@$(PIP) install -q ckantoolkit==0.0.7 pycountry==26.2.16 SPARQLWrapper==2.0.0
	@$(PIP) install -q --no-deps "$(DCATDE_SRC)"

clean:
	rm -rf $(STAMPS) build dist *.egg-info
