"""``app.config`` as it was: what a test changes in it is undone after the test."""

from __future__ import annotations

import collections.abc as cabc
import contextlib

from flask import Flask

_MISSING = object()


@contextlib.contextmanager
def restored_config(app: Flask) -> cabc.Iterator[None]:
    """When the block ends, put ``app.config`` back as it was when it began.

    A shallow snapshot, as Django's ``override_settings`` gives: keys the block added
    are removed, keys it changed or deleted get their old values back; a value changed
    in place (``app.config["ITEMS"].append(...)``) stays changed.
    """
    config = app.config
    snapshot = dict(config)
    try:
        yield
    finally:
        for key in [key for key in config if key not in snapshot]:
            del config[key]
        for key, value in snapshot.items():
            if config.get(key, _MISSING) is not value:
                config[key] = value
