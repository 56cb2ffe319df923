"""Show the SQL flask_txtest sends itself where SQLAlchemy's echo shows statements.

The savepoint statements SQLAlchemy would have sent (and logged) are sent by flask_txtest
instead, on the driver; they are logged here as SQLAlchemy logs a statement: an INFO
record of the engine's logger (``sqlalchemy.engine.Engine``, ``.<logging_name>`` when the
engine has one), prefixed by the connection's ``logging_token`` option, emitted where
``echo=True`` (or ``"debug"``) or the logger's own level lets SQLAlchemy log statements.
Only SQLAlchemy's documented names are used: ``engine.echo``, ``engine.logging_name``,
the logger name and the ``logging_token`` execution option.
"""

from __future__ import annotations

import collections.abc as cabc
import logging

import sqlalchemy as sa

#: The documented logger of SQLAlchemy's statement log.
ENGINE_LOGGER = "sqlalchemy.engine.Engine"


def engine_logger(engine: sa.Engine) -> logging.Logger:
    name = f"{ENGINE_LOGGER}.{engine.logging_name}" if engine.logging_name else ENGINE_LOGGER
    return logging.getLogger(name)


def echoes(engine: sa.Engine) -> bool:
    """Whether SQLAlchemy logs the statements of a connection of ``engine`` made now.

    ``echo=True`` (or ``"debug"``) logs whatever the logger's level; otherwise the
    logger's effective level decides, as for any logger. (SQLAlchemy decides once per
    ``Connection``, when it is made.)
    """
    logger = engine_logger(engine)
    if logger.manager.disable >= logging.INFO:
        return False
    return engine.echo in (True, "debug") or logger.isEnabledFor(logging.INFO)


def log_statements(connection: sa.Connection, statements: cabc.Iterable[str]) -> None:
    """Log ``statements`` as SQLAlchemy logs one it sends on ``connection``."""
    logger = engine_logger(connection.engine)
    token = connection.get_execution_options().get("logging_token")
    for statement in statements:
        message = f"[{token}] {statement}" if token else statement
        # Handled directly, as SQLAlchemy's echo does: echo=True logs at INFO even where
        # the logger's level (WARNING by default) would drop the record.
        path, line, function, _ = logger.findCaller()
        record = logger.makeRecord(
            logger.name, logging.INFO, path, line, message, (), None, function
        )
        logger.handle(record)
