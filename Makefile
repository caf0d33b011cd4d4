# The two commands: `make run` and `make test`. Everything they need is set up here.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)

.PHONY: run test e2e lint format install deploy-check messages clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

run: install
	@bash scripts/check-pdf-libs.sh --warn
	@bash scripts/run-console.sh

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	@$(MAKE) --no-print-directory deploy-check
	@bash scripts/check-pdf-libs.sh
	$(BIN)/pytest -m "not e2e" --ignore=tests/e2e $(PYTEST_ARGS)

# Browser tests with Debian's Chromium; screenshots of the main pages land in var/e2e/.
e2e: install
	@bash scripts/ensure-browser.sh
	$(BIN)/pytest tests/e2e -m e2e -p no:cacheprovider --output var/e2e/failures --screenshot only-on-failure $(PYTEST_ARGS)

# `check --deploy` with production values must report nothing.
deploy-check: install
	@DEBUG=0 SECRET_KEY=deploy-check-$$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	 ALLOWED_HOSTS=pmh.example.lg.jp PMH_SSL_REDIRECT=1 PMH_HSTS_SECONDS=31536000 \
	 $(BIN)/python manage.py check --deploy --fail-level WARNING

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh and compile the Japanese catalogue from locale/ja-src/*.json (needs GNU gettext;
# the generated .po and .mo are committed).
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages -l ja --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'benchmarks/*'
	$(BIN)/python scripts/merge_translations.py
	DEBUG=1 $(BIN)/python manage.py compilemessages -l ja --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles
