"""Tests of flask_txtest/pytest/: the plugin's hooks and fixtures and its entry point."""
