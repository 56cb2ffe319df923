# Developer entry points. `make test` builds .venv on first use.
PY ?= python3
VENV := .venv
PYTHON ?= $(VENV)/bin/python
OLDEST := .venv-oldest

# The oldest corner of the support matrix. Flask-SQLAlchemy-Lite needs Flask 3, so it
# is left out here; Werkzeug is not pinned (Flask 2.3.3 runs on Werkzeug 3.1).
OLDEST_PINS := 'flask==2.3.*' 'flask-sqlalchemy==3.0.*' 'sqlalchemy[asyncio]==2.0.*' 'asgiref==3.7.*'
DRIVERS := 'psycopg[binary]>=3.1' 'asyncpg>=0.29' 'pymysql>=1.1' 'aiomysql>=0.2' \
	'aiosqlite>=0.20' cryptography pytest 'hypothesis>=6.100' \
	'pytest-asyncio>=1.0' 'anyio>=4' 'fastapi>=0.110' 'httpx>=0.27' \
	'pytest-xdist>=3.5' 'unittest-parallel>=1.6'

LINT_DIRS := $(wildcard flask_txtest tests examples benchmarks)

# Re-run the editable install when the package first appears (setuptools maps only the
# packages it found at install time).
PKG_MARKER := $(wildcard flask_txtest/__init__.py)

# Only build the default venv when the tests run with it.
ifeq ($(PYTHON),$(VENV)/bin/python)
TEST_DEPS := venv
endif

.PHONY: venv test demo lint docs matrix check-wheel bench bench-class-data profile clean distclean \
	test-parallel bench-parallel

venv: $(VENV)/.stamp

$(VENV)/.stamp: pyproject.toml $(PKG_MARKER)
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q -e '.[dev]'
	touch $@

test: $(TEST_DEPS)
	PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" $(PYTHON) tests/run_tests.py $(ARGS)

# The parallel runs' tests on every backend (make test runs them on SQLite only): the
# forum example under pytest -n 2 and TXTEST_PARALLEL=1 unittest-parallel -j 2.
test-parallel: $(TEST_DEPS)
	TXTEST_PARALLEL_BACKENDS=sqlite,postgresql,mysql PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" \
		$(PYTHON) -m unittest -v tests.core.test_parallel

demo: venv
	$(VENV)/bin/python -m unittest discover -s examples/todo_app -t examples -v

lint: venv
	$(VENV)/bin/ruff check $(LINT_DIRS)
	$(VENV)/bin/ruff format --check $(LINT_DIRS)
	$(VENV)/bin/mypy --strict flask_txtest

# A new user's install: the wheel with no extras in a fresh venv (tests/wheel/check_wheel.py).
check-wheel: venv
	$(VENV)/bin/python tests/wheel/check_wheel.py

docs: venv
	$(VENV)/bin/mkdocs build --strict --site-dir site

# The benchmarks of issue 7 (docs/performance.md). BENCH_QUICK=1 for a small run; ARGS
# are passed on (e.g. ARGS='--no-django --scale 0'). The Django peer gets its own venv,
# benchmarks/.venv-django, which the benchmark builds on first use.
BENCH_DEPS := 'matplotlib>=3.5'

bench: $(VENV)/.bench-stamp
	$(VENV)/bin/python -m benchmarks $(ARGS)

profile: venv
	$(VENV)/bin/python -m benchmarks.profile_txtest $(ARGS)

# Class data vs rows made per test, and the cost of reset_sequences (docs/performance.md).
bench-class-data: venv
	$(VENV)/bin/python benchmarks/bench_class_data.py

# One process against two: pytest -n 0 / -n 2, unittest / unittest-parallel -j 2, on
# SQLite, PostgreSQL and MariaDB (docs/performance.md). BENCH_QUICK=1 for a small run.
bench-parallel: venv
	$(VENV)/bin/python benchmarks/bench_parallel.py $(ARGS)

$(VENV)/.bench-stamp: $(VENV)/.stamp
	$(VENV)/bin/python -m pip install -q $(BENCH_DEPS)
	touch $@

matrix: $(OLDEST)/.stamp
	$(MAKE) test PYTHON=$(OLDEST)/bin/python ARGS='$(ARGS)'

$(OLDEST)/.stamp: Makefile pyproject.toml $(PKG_MARKER)
	test -x $(OLDEST)/bin/python || $(PY) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install -q $(OLDEST_PINS) $(DRIVERS)
	$(OLDEST)/bin/python -m pip install -q --no-deps -e .
	$(OLDEST)/bin/python -m pip check
	$(OLDEST)/bin/python -c "import flask, flask_sqlalchemy, sqlalchemy"
	$(OLDEST)/bin/python -m pip list | grep -iE '^(flask|flask-sqlalchemy|werkzeug|sqlalchemy|asgiref) '
	touch $@

clean:
	rm -rf site build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache tests/.tmp tests/.tmp-oldest
	find . -path ./.venv -prune -o -path ./$(OLDEST) -prune -o \
		-name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(OLDEST)
