"""Reading what a Flask SQLAlchemy extension isolates: its engines and session factory.

flask_txtest knows Flask-SQLAlchemy and Flask-SQLAlchemy-Lite; any other ``db`` is
refused with a message saying how to list its engines instead (in the caller's words).
"""

from __future__ import annotations

import typing as t

from flask import Flask

from ..errors import ConfigurationError
from .dotted import describe
from .naming import Naming

if t.TYPE_CHECKING:
    from .targets import Targets


def find_extension(app: Flask) -> t.Any:
    return app.extensions.get("sqlalchemy")


def _is_flask_sqlalchemy(db: t.Any) -> bool:
    try:
        from flask_sqlalchemy import SQLAlchemy
    except ImportError:  # pragma: no cover - a dependency, but be explicit
        return False
    return isinstance(db, SQLAlchemy)


def _is_flask_sqlalchemy_lite(db: t.Any) -> bool:
    try:
        from flask_sqlalchemy_lite import SQLAlchemy
    except ImportError:
        return False
    return isinstance(db, SQLAlchemy)


def _unknown_kind(db: t.Any, naming: Naming) -> ConfigurationError:
    return ConfigurationError(
        f"db is {describe(db)}: flask_txtest knows flask_sqlalchemy.SQLAlchemy "
        "and flask_sqlalchemy_lite.SQLAlchemy. For anything else leave db unset "
        f"and list its engines in {naming.engines} and its session factories in "
        f"{naming.sessionmakers} ({naming.alchemical})."
    )


def check_registered(app: Flask, db: t.Any, naming: Naming) -> None:
    """Outside an app context: Flask-SQLAlchemy's repr of an unregistered db needs none."""
    registered = find_extension(app)
    if registered is not db:
        if not (_is_flask_sqlalchemy(db) or _is_flask_sqlalchemy_lite(db)):
            raise _unknown_kind(db, naming)
        raise ConfigurationError(
            f"db is {describe(db)}, but the app's extensions['sqlalchemy'] is "
            f"{describe(registered)}. Call db.init_app(app) in the app factory, or leave "
            "db unset so flask_txtest uses the app's own extension."
        )


def read_extension(db: t.Any, targets: Targets) -> None:
    """Add the engines and session factory of ``db`` to ``targets``; call it in an app
    context."""
    if _is_flask_sqlalchemy(db):
        for key, engine in db.engines.items():
            targets.add_engine(key, engine)
        targets.add_factory(db.session.session_factory, None)
        targets.metadatas.extend(
            (metadata, db.engines[key])
            for key, metadata in db.metadatas.items()
            if key in db.engines
        )
    elif _is_flask_sqlalchemy_lite(db):
        for name, engine in db.engines.items():
            targets.add_engine(None if name == "default" else name, engine)
        if db.engines:
            targets.add_factory(db.sessionmaker, None)
        for name, async_engine in db.async_engines.items():
            targets.async_engines[None if name == "default" else name] = async_engine
        if db.async_engines:
            targets.add_async_factory(db.async_sessionmaker)
    else:
        raise _unknown_kind(db, targets.naming)
