# Two commands do all the set-up on a fresh machine with only Python 3.11:
#   make run   - create the environment, start the embedded stack, print the GraphQL URL
#   make test  - create the environment, lint, type-check and run every test
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
# pytest-xdist workers of `make test`, a test module at a time: two keep two cores 75-100 %
# busy (the integration tests in 3 min 34 s - 4 min 4 s in a fresh clone). Three were slower
# (5 min 37 s against 4 min 49 s, measured before bytecode), and once starved the
# document store enough that a client's connection handshake was cancelled (BENCHMARKS.md).
TEST_WORKERS ?= 2
# A module at a time, in the order tests/conftest.py sorts them (longest first, the broker
# restart last): xdist otherwise hands out the modules with the most tests first, which put
# the roles matrix and the needs first, the broker restart seventh and the longest one-test
# modules last.
BY_MODULE := --dist loadfile --no-loadscope-reorder

.PHONY: run test test-unit test-faults env lint unit integration bench schema clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# The dev group (tests, linters) by default, and the embedded servers of `make run` and the
# tests (the production image installs neither: deploy/Dockerfile). Bytecode is compiled here,
# the libraries' at install and the project's own each time (only what changed): where Python
# runs with PYTHONDONTWRITEBYTECODE set (this CI image; many containers) it never writes it,
# and every process compiled every module it imported, each start, the tests' stacks
# included: matching and the gateway took 7.6 s of CPU to import, 2.7 s with bytecode.
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet --python $(PYTHON) --group embedded --compile-bytecode
	touch $@

env: $(VENV)/.synced
	$(VENV)/bin/python -m compileall -q -j 0 services shared deploy bench tests

run: env
	$(VENV)/bin/commonweave run

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The lint and the unit tests side by side, then the integration tests. Side by side: in a
# fresh clone mypy (no cache) takes a core for 12 s, and the unit tests, waiting on their servers
# and timeouts, leave a third of the two cores idle: 34 s for both instead of 45 s. Not beside
# the integration stacks: a unit test's document store was starved there enough that its
# client's connection was cancelled mid-operation.
test: env
	$(MAKE) --no-print-directory -j 2 --output-sync=target lint test-unit
	$(VENV)/bin/pytest -q --durations=15 -n $(TEST_WORKERS) $(BY_MODULE) tests/integration

# Three workers: a unit test mostly waits (on a server, a timeout), so a third worker fills the
# cores (28 s against 31 s with two).
test-unit: env
	$(VENV)/bin/pytest -q -n 3 tests/unit

# Processes and replicas killed, brokers restarted, stacks started on their own data
# (tests/faults/): minutes of waiting for sessions to expire and work to recover. CI runs them
# after `make test`; `make drills` is the long, measured version.
test-faults: env
	$(VENV)/bin/pytest -q --durations=10 -n $(TEST_WORKERS) $(BY_MODULE) tests/faults

unit: env
	$(VENV)/bin/pytest -q tests/unit

bench: env
	$(VENV)/bin/python -m bench

clean:
	rm -rf .data .venv .tools

# Targets added for the newcomer's first hour (issue 11).
.PHONY: demo

demo: env
	$(VENV)/bin/commonweave demo

# docs/dashboard.png and docs/dashboard-partnership.png, from the demo network (`commonweave
# demo`'s loader) in headless chromium, against a stack of the test's own.
.PHONY: screenshots
screenshots: env
	COMMONWEAVE_DASHBOARD_SCREENSHOT=docs/dashboard.png \
	COMMONWEAVE_PARTNERSHIP_SCREENSHOT=docs/dashboard-partnership.png \
	$(VENV)/bin/pytest -q tests/integration/gateway/test_dashboard.py \
	  -k "operator or health_over_time"

integration: env
	$(VENV)/bin/pytest -q tests/integration

# Prints the SDL of the running code, then rewrites services/gateway/schema.graphql and shows
# what changed (a unit test fails while the two differ).
schema: env
	$(VENV)/bin/python -m services.gateway.export --print
	$(VENV)/bin/python -m services.gateway.export --diff

.PHONY: drills soak
drills: env
	$(VENV)/bin/python -m tests.drills

# An hour of a realistic mix at a third of capacity, sampled every 30 s (tests/drills/soak.py);
# the graphs go to docs/soak-*.svg
soak: env
	$(VENV)/bin/python -m tests.drills.soak --minutes 60 --graphs docs

# The catalogs (shared/locale): `make messages` extracts every message of the code and templates
# into messages.pot and merges it into each language's messages.po (new ones untranslated: a
# unit test fails until they are translated); `make language LANG=fr` starts a new catalog.
.PHONY: messages language
BABEL_EXTRACT := $(VENV)/bin/pybabel extract -F shared/locale/babel.cfg -k Text -k Plural:1,2 \
	--no-location --omit-header -o shared/locale/messages.pot .
messages: env
	$(BABEL_EXTRACT)
	$(VENV)/bin/pybabel update -i shared/locale/messages.pot -d shared/locale \
	  --no-fuzzy-matching --ignore-obsolete

language: env
	$(BABEL_EXTRACT)
	$(VENV)/bin/pybabel init -i shared/locale/messages.pot -d shared/locale -l $(LANG)
