"""Hand-written transactional-test recipes, and the same tests on flask_txtest.

docs/migrating.md shows this code; tests/docs/test_hand_written_recipes.py runs each
recipe on SQLite, PostgreSQL and MariaDB and asserts where it fails.
"""
