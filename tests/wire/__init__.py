"""Tests of flask_txtest/wire/: the savepoint state machine, the listener, the statements
sent, and reset_sequences."""
