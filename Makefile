# The two commands of the quick start. Each installs what it needs into ignored folders
# (.venv, .cache/pip, .cache/m2, .cache/kafka-*, var/); nothing is installed by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
export PIP_CACHE_DIR := $(CURDIR)/.cache/pip
# Browser tests drive Debian's chromium; Playwright must never download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: demo test lint bench clean

## demo: load synthetic multi-agency cases through the API and keep serving (embedded runtime)
demo: $(STAMP)
	$(VENV)/bin/lienthong demo

## bench: the benchmark suite, quick mode (reports under bench/results/)
bench: $(STAMP)
	$(VENV)/bin/lienthong bench --quick

## test: lint, then the whole suite (real Kafka broker and PostgreSQL started by the project)
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --upgrade pip
	$(VENV)/bin/pip install -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

clean:
	rm -rf var test-artifacts
