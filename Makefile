# connectplan: two commands on a fresh machine.
#   make demo   the main job on the embedded SQLite default
#   make test   the whole suite, lint first (SQLite, a throwaway PostgreSQL cluster, Graphviz, headless Chromium)
#   make lint   ruff check, ruff format --check and mypy (run first by make test)
#   make serve  the web configurator on ./connectplan.db (http://127.0.0.1:8000)
# They create .venv, install the project with its web extra and, where missing and running as
# root, Debian's graphviz, postgresql and chromium packages.

# The interpreter .venv is made from: Debian's own /usr/bin/python3 where it is 3.11 or newer (a
# statically linked, optimised build: the suite's Python code ran about a quarter faster on it than on
# a source build with a shared libpython and no optimisation, such as pyenv's default), else python3
# (also when $(PYTHON) cannot make a venv).
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo /usr/bin/python3 || echo python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint serve bench bench-smoke venv system-graphviz system-postgres system-chromium clean

venv: $(STAMP)

# uv (Astral's installer, from PyPI into .venv) resolves, fetches and installs in parallel: a fresh
# .venv in about 8 s where pip took 17. It is installed by the pip of $(PYTHON), or of python3 when
# $(PYTHON) has none (Debian's python3 has pip only with python3-pip). Where uv cannot be had, pip does the same
# job. Either way the bytecode is compiled after, on every core (with PYTHONDONTWRITEBYTECODE set, as
# in CI, nothing later would write it). pip is installed too: the packaging tests build with it.
EXTRAS := '.[test,bench,lint,web]'
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv --without-pip $(VENV) || { rm -rf $(VENV); python3 -m venv --without-pip $(VENV); }
	@$(PY) -c 'import sys; print("$(VENV): Python", sys.version.split()[0], "from", sys.base_prefix)'
	@if { $(PYTHON) -m pip --python $(PY) install --quiet uv || python3 -m pip --python $(PY) install --quiet uv; } \
	    2>/dev/null; then \
	  echo "$(VENV)/bin/uv pip install -e $(EXTRAS) pip"; \
	  $(VENV)/bin/uv pip install --quiet --python $(PY) -e $(EXTRAS) pip; \
	else \
	  echo "uv could not be installed; pip installs instead"; \
	  $(PY) -m ensurepip --upgrade --default-pip >/dev/null && \
	  $(PY) -m pip install --quiet --upgrade pip && \
	  $(PY) -m pip install --quiet --no-compile -e $(EXTRAS); \
	fi
	$(PY) -m compileall -q -j 0 $(VENV)/lib
	@touch $(STAMP)

# Debian packages, installed only when missing; a clear message when we cannot install them.
APT_INSTALL = sh -c 'if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian package $$0 ($$1)"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$0 >/dev/null; \
	else echo "connectplan: $$1 is missing; run make as root, or install it: apt-get install $$0" >&2; exit 1; fi'

system-graphviz:
	@command -v dot >/dev/null 2>&1 || $(APT_INSTALL) graphviz "the Graphviz dot binary"

system-postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  $(APT_INSTALL) postgresql "PostgreSQL (initdb, postgres)"

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`): its
# headless shell (chromium-headless-shell: the same Blink and V8, a third less CPU), and for one
# test and the benchmark's figures the full browser (chromium), both headless.
CHROMIUM ?= /usr/lib/chromium/chromium
HEADLESS_SHELL ?= /usr/lib/chromium/chromium-headless-shell

system-chromium:
	@test -x $(CHROMIUM) && test -x $(HEADLESS_SHELL) || \
	  $(APT_INSTALL) "chromium chromium-headless-shell fonts-dejavu-core" "headless Chromium for the browser tests"

demo: $(STAMP) system-graphviz
	$(PY) -m connectplan.demo
	@echo "demo: open the configurator on the demo store with:"
	@echo "  $(VENV)/bin/connectplan --db sqlite:///demo-out/connectplan.db serve"

LINTED := engine db visualize connectplan migrations bench
# the tests are held to ruff's rules and format too (not to mypy: fixtures are untyped)
RUFFED := $(LINTED) tests

lint: $(STAMP)
	$(VENV)/bin/ruff check $(RUFFED)
	$(VENV)/bin/ruff format --check $(RUFFED)
	$(VENV)/bin/mypy --num-workers auto connectplan bench  # one checking process per CPU

# The suite runs on one pytest-xdist worker per CPU (TEST_WORKERS=0: in this process). Each worker
# starts its own PostgreSQL cluster (and browser, for the browser tests); --dist loadfile keeps a
# test file on one worker, so a module's expensive fixture (the quick bench run) is built once.
TEST_WORKERS ?= auto

test: lint system-graphviz system-postgres system-chromium
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

serve: $(STAMP) system-graphviz
	$(VENV)/bin/connectplan serve $(SERVE_ARGS)

bench: $(STAMP) system-graphviz system-postgres
	$(PY) -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis demo-out connectplan.db connectplan.db-*
