# Two commands matter: `make up` runs everything, `make test` runs every test. Both set up first.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .cache/uv/bin/uv
VENV := .venv
JAUAP := $(VENV)/bin/jauap
# Renders deploy/k8s in the tests; built from its Go module like FerretDB (.cache, ignored).
KUSTOMIZE_VERSION := v5.7.1
KUSTOMIZE := .cache/bin/kustomize

.PHONY: install up test test-unit lint bench clean help

help:
	@echo "make install    set up .venv (locked packages), the console's chart library (npm ci), Kafka jars, FerretDB, Toxiproxy and Chromium"
	@echo "make up         run the local stack, the four services, the sandbox and a citizen simulator"
	@echo "make test       run the whole test suite (starts and stops its own servers)"
	@echo "make test-unit  the fast tier only, no servers"
	@echo "make lint       ruff and mypy"
	@echo "make bench      jauap bench --count 20000 --rate 1000"

$(UV):
	@echo "[make] installing uv $(UV_VERSION) into .cache/uv"
	@$(PYTHON) -m venv .cache/uv
	@.cache/uv/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	@echo "[make] syncing .venv from uv.lock"
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --python $(PYTHON)
	@touch $@

$(KUSTOMIZE):
	@echo "[make] building kustomize $(KUSTOMIZE_VERSION) from its Go module (a few minutes, once)"
	@GOBIN=$(abspath .cache/bin) GOTOOLCHAIN=local go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

# The console's chart library, pinned in package-lock.json; the desk serves it from node_modules.
node_modules/.package-lock.json: package.json package-lock.json
	@echo "[make] installing the console's browser libraries (npm ci, package-lock.json)"
	@npm ci --no-audit --no-fund --progress=true
	@touch $@

install: $(VENV)/.installed $(KUSTOMIZE) node_modules/.package-lock.json
	@$(JAUAP) stack install
	@$(VENV)/bin/python -m jauap.stack.browser

up: install
	@$(JAUAP) up

test: install
	@$(VENV)/bin/pytest

test-unit: $(VENV)/.installed $(KUSTOMIZE) node_modules/.package-lock.json
	@$(VENV)/bin/python -c "from jauap.stack import wrk; wrk.install()"  # a unit test runs wrk
	@$(VENV)/bin/pytest -m unit

lint: $(VENV)/.installed
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy .

bench: install
	@$(JAUAP) bench --count 20000 --rate 1000

clean:
	@$(JAUAP) stack stop || true
	@rm -rf var .venv
