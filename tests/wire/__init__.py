"""Tests of flask_txtest.wire: the savepoint state machine and the listener."""
