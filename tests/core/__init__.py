"""Tests of flask_txtest/core/: isolate(), what it finds, patches, hands out and guards."""
