# The forum's suite in parallel, as docs/parallel.md shows it and tests/core/test_parallel.py
# runs it (from examples/parallel, with FORUM_DATABASE_URL and FORUM_AUDIT_URL set).
pytest -n 2
TXTEST_PARALLEL=1 unittest-parallel -j 2 -p 'suite_*.py'
python -m flask_txtest.core.parallel.cleanup "$FORUM_DATABASE_URL" "$FORUM_AUDIT_URL"
