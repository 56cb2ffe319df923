"""Tests of flask_txtest/unittest/ (named so, not tests/unittest/, so that it never shadows
the standard library when tests/ is on sys.path, as for ``python tests/run_tests.py``)."""
