"""Tests of flask_txtest/pytest/ (named so, not tests/pytest/, so that it never shadows
the pytest package when tests/ is on sys.path, as for ``python tests/run_tests.py``)."""
