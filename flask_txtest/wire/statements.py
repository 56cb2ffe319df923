"""What an app statement does, from its execution context.

SQLAlchemy compiled the statement and says what it is (``isinsert``, ``isupdate``,
``isdelete``, ``isddl``); only SQL that reached SQLAlchemy as text (``text()``,
``exec_driver_sql``) is judged by its first word. The library's own savepoint
statements never come here: they are sent by the listener, unseen by SQLAlchemy.
"""

from __future__ import annotations

import re
import typing as t

# First words of SQL text that only reads (or opens a transaction).
_READS = ("SELECT", "SHOW", "PRAGMA", "EXPLAIN", "DESCRIBE", "BEGIN")
# Transaction control written by the app itself: never counted as one of its queries.
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN")


def may_write(statement: str, context: t.Any) -> bool:
    """Whether ``statement`` may change data (or end what it runs in), as far as known.

    A ``SELECT`` that calls a function with side effects counts as a read, as it would
    for anyone reading the code.
    """
    if context is None:
        return _text_may_write(statement)
    if context.isinsert or context.isupdate or context.isdelete or context.isddl:
        return True
    if context.is_text:
        return _text_may_write(statement)
    return False  # compiled, and neither DML nor DDL: a SELECT or the like


def _text_may_write(statement: str) -> bool:
    return not statement.lstrip()[:8].upper().startswith(_READS)


def is_transaction_control(statement: str) -> bool:
    """SQL text the app sent to control the transaction itself (not one of its queries)."""
    return statement.lstrip()[:22].upper().startswith(_TRANSACTION_CONTROL)


_INSERT_INTO = re.compile(r'\s*INSERT\s+INTO\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)', re.I)


def inserted_table(statement: str, context: t.Any) -> str | None:
    """The table (``fullname``, lower case) an INSERT writes to, if it is one.

    A compiled INSERT is known whatever its text starts with (``WITH c AS (...)
    INSERT ...``); SQL text is matched on its ``INSERT INTO`` clause.
    """
    if context is not None and context.isinsert:
        table = getattr(getattr(context.compiled, "statement", None), "table", None)
        fullname = getattr(table, "fullname", None)
        return fullname.lower() if isinstance(fullname, str) else None
    if context is not None and not context.is_text:
        return None
    match = _INSERT_INTO.match(statement)
    if match is None:
        return None
    return ".".join(part.strip('"') for part in match.group(1).split(".")).lower()
