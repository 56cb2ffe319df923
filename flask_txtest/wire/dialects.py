"""Per-backend quirks of opening, probing and ending the test transaction.

One function per quirk, so every backend-specific branch of flask_txtest is here.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from ..core.urls import safe_url
from ..errors import ConfigurationError
from .driver_info import INFO_KEY, DriverInfo, driver_info


def _uses_legacy_sqlite_transactions(dbapi_connection: t.Any) -> bool:
    # pysqlite's legacy mode emits no BEGIN before SAVEPOINT, so RELEASE SAVEPOINT
    # would commit for real; with isolation_level None we issue BEGIN ourselves.
    # Python 3.12's autocommit=True/False leaves isolation_level aside (and legacy mode
    # reports the sqlite3.LEGACY_TRANSACTION_CONTROL constant, -1).
    autocommit = getattr(dbapi_connection, "autocommit", -1)
    if autocommit is True or autocommit is False:
        return False
    return getattr(dbapi_connection, "isolation_level", None) is not None


def _sqlite_autocommit_refused(connection: sa.Connection) -> ConfigurationError:
    return ConfigurationError(
        f"The SQLite engine of {safe_url(connection.engine)} connects with "
        "autocommit=True: every statement commits on its own and commit() and rollback() "
        "do nothing, so no test transaction can hold the test's writes (nor can a "
        "rollback in the test undo what production keeps). Connect with "
        'connect_args={"autocommit": False}, or use SQLAlchemy\'s pysqlite SAVEPOINT '
        "recipe (isolation_level = None and a 'begin' listener sending BEGIN)."
    )


def begin_outer_transaction(connection: sa.Connection) -> sa.RootTransaction:
    """Open the test's outer transaction so that savepoints nest inside it."""
    if connection.dialect.name in ("mysql", "mariadb"):
        transaction = connection.begin()
        # Without an explicit BEGIN the server opens the transaction at the first
        # statement that reads a table, so a test sending only ``SELECT 1`` would look
        # to transaction_is_open as if its transaction had been ended.
        connection.exec_driver_sql("BEGIN")
        return transaction
    if connection.dialect.name != "sqlite":
        return connection.begin()
    dbapi_connection: t.Any = connection.connection.dbapi_connection
    if getattr(dbapi_connection, "autocommit", None) is True:
        raise _sqlite_autocommit_refused(connection)
    if _uses_legacy_sqlite_transactions(dbapi_connection):
        driver_info(connection).sqlite_isolation_level = dbapi_connection.isolation_level
        dbapi_connection.isolation_level = None
    transaction = connection.begin()
    if not transaction_open_after_statement(connection):
        # Open already when the app's own ``begin`` listener sent BEGIN (SQLAlchemy's
        # documented pysqlite recipe) or sqlite3 keeps one open (autocommit=False).
        connection.exec_driver_sql("BEGIN")
    return transaction


def restore_connection(connection: sa.Connection) -> None:
    """Undo what ``begin_outer_transaction`` changed, before the pool gets it back."""
    info = connection.info.get(INFO_KEY)
    if isinstance(info, DriverInfo) and info.sqlite_isolation_level is not None:
        level, info.sqlite_isolation_level = info.sqlite_isolation_level, None
        dbapi_connection: t.Any = connection.connection.dbapi_connection
        dbapi_connection.isolation_level = level


def transaction_is_open(connection: sa.Connection) -> bool:
    """Ask the database itself whether the test's outer transaction is still open.

    SQLAlchemy's own bookkeeping cannot see a raw ``COMMIT`` or an implicit commit.
    """
    if connection.dialect.name in ("mysql", "mariadb"):
        # The server's answer, not the driver's status flag from the last reply.
        dbapi_connection: t.Any = connection.connection.dbapi_connection
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT @@in_transaction")
            row = cursor.fetchone()
        finally:
            cursor.close()
        return bool(row and row[0])
    recorded = transaction_open_after_statement(connection)
    return True if recorded is None else recorded


def transaction_open_after_statement(connection: sa.Connection) -> bool | None:
    """Whether a transaction is open, from the driver's record of the last reply.

    No round trip, so it can run after every statement; ``None`` when the driver does
    not keep that record (then only ``transaction_is_open`` at the end decides).
    """
    driver_connection: t.Any = connection.connection.driver_connection
    name = connection.dialect.name
    if name == "sqlite":
        # sqlite3's Connection and aiosqlite's both have the public in_transaction.
        return bool(driver_connection.in_transaction)
    if name == "postgresql":
        if hasattr(driver_connection, "is_in_transaction"):  # asyncpg
            return bool(driver_connection.is_in_transaction())
        status = getattr(getattr(driver_connection, "info", None), "transaction_status", None)
        return None if status is None else int(status) != 0  # psycopg 3: 0 is IDLE
    if name in ("mysql", "mariadb"):
        server_status = getattr(driver_connection, "server_status", None)  # (aio)pymysql
        return None if server_status is None else bool(server_status & 1)  # IN_TRANS
    return None


def is_disconnect(connection: sa.Connection, error: Exception) -> bool:
    """Whether ``error`` (SQLAlchemy's or the driver's own) says the connection is gone."""
    if isinstance(error, sa.exc.DBAPIError):
        return bool(error.connection_invalidated)
    dbapi = connection.dialect.loaded_dbapi
    if not isinstance(error, dbapi.Error):
        return False
    dbapi_connection = None
    if not connection.invalidated:
        # Some dialects (psycopg) judge by the driver connection's own state.
        dbapi_connection = connection.connection.dbapi_connection
    return bool(connection.dialect.is_disconnect(error, dbapi_connection, None))


def run_on_driver(connection: sa.Connection, statement: str) -> None:
    """Run ``statement`` on the DBAPI connection, unseen by SQLAlchemy's events."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def run_batch_on_driver(connection: sa.Connection, statements: list[str]) -> None:
    """Run parameterless ``statements`` in order, in one round trip where the driver can.

    psycopg sends a parameterless multi-statement query in one message; the other
    drivers take one statement per call (PyMySQL needs a flag SQLAlchemy does not set,
    asyncpg prepares each statement, sqlite3 refuses several).
    """
    if connection.dialect.driver == "psycopg":
        run_on_driver(connection, "; ".join(statements))
        return
    for statement in statements:
        run_on_driver(connection, statement)


_OWNED_SEQUENCES = """
SELECT x.name, a.attname, CAST(CAST(d.objid AS regclass) AS text), s.seqstart
FROM unnest(CAST(:names AS text[])) AS x(name)
JOIN pg_depend d ON d.refobjid = to_regclass(x.name)
JOIN pg_sequence s ON s.seqrelid = d.objid
JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE d.classid = CAST('pg_class' AS regclass) AND d.refclassid = CAST('pg_class' AS regclass)
  AND d.deptype IN ('a', 'i')
"""


def _literal(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def postgresql_sequence_restarts(
    connection: sa.Connection, tables: list[sa.Table]
) -> dict[str, tuple[str, str]]:
    """For each table with sequences (SERIAL, IDENTITY, ``Sequence`` defaults): the
    statement that sets them just after the table's highest id as the connection sees
    it now (or at the sequence's start on an empty table), and the statement that puts
    them back as they are now. Two queries in all.

    ``setval`` is not transactional (nor is ``nextval``), so the test puts the
    sequences back itself when it ends; it costs a function call where ``ALTER SEQUENCE
    ... RESTART`` (transactional) writes a new file for the sequence, about half a
    millisecond per test.
    """
    preparer = connection.dialect.identifier_preparer
    by_name = {preparer.format_table(table): table for table in tables}
    found: list[tuple[sa.Table, str, str, int]] = []
    rows = connection.execute(sa.text(_OWNED_SEQUENCES), {"names": list(by_name)})
    for name, column, sequence, start in rows:
        found.append((by_name[name], preparer.quote(column), sequence, int(start)))
    for table in tables:
        for column in table.columns:
            if isinstance(column.default, sa.Sequence):
                sequence = preparer.format_sequence(column.default)
                start = int(column.default.start or 1)
                found.append((table, preparer.quote(column.name), sequence, start))
    if not found:
        return {}
    columns = ", ".join(
        f"(SELECT GREATEST(COALESCE(MAX({column}), 0) + 1, {start}) "
        f"FROM {preparer.format_table(table)}), "
        f"(SELECT last_value FROM {sequence}), (SELECT is_called FROM {sequence})"
        for table, column, sequence, start in found
    )
    values = connection.execute(sa.text(f"SELECT {columns}")).one()
    restarts: dict[str, list[str]] = {}
    restores: dict[str, list[str]] = {}
    for index, (table, _, sequence, _) in enumerate(found):
        first, last_value, is_called = values[3 * index : 3 * index + 3]
        key = table.fullname.lower()
        name = _literal(sequence)
        restarts.setdefault(key, []).append(f"setval({name}, {int(first)}, false)")
        restores.setdefault(key, []).append(
            f"setval({name}, {int(last_value)}, {'true' if is_called else 'false'})"
        )
    return {
        table: ("SELECT " + ", ".join(calls), "SELECT " + ", ".join(restores[table]))
        for table, calls in restarts.items()
    }
