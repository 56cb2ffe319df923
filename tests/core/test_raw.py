"""Raw SQL in tests and views: engine.connect(), engine.begin(), session.execute(text()).

Raw connections behave as in SQLAlchemy 2.0: ``commit()`` keeps the work (in the test
transaction), work left uncommitted is rolled back when the connection closes.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests._backends import fresh_engine, on_backends
from tests.apps.core_app import NOTE, CoreChecks, db, insert_note, run_isolated


def titles() -> list[str]:
    return list(db.session.scalars(sa.text(f"SELECT title FROM {NOTE} ORDER BY title")))


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class RawInTest(CoreChecks):
    def test_engine_connect_with_commit_keeps_the_work(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            with db.engine.connect() as connection:
                connection.execute(insert_note("raw"))
                connection.commit()
            test.assertEqual(titles(), ["raw"])
            self.assertNotCommittedYet(test)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_engine_connect_without_commit_rolls_back_at_close(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            with db.engine.begin() as connection:
                connection.execute(insert_note("before"))
            with db.engine.connect() as connection:
                connection.execute(insert_note("never committed"))
                test.assertEqual(
                    connection.execute(sa.text(f"SELECT COUNT(*) FROM {NOTE}")).scalar_one(), 2
                )
            test.assertEqual(titles(), ["before"])
            # An explicit rollback() does the same.
            connection = db.engine.connect()
            connection.execute(insert_note("rolled back"))
            connection.rollback()
            connection.execute(insert_note("after rollback"))
            connection.commit()
            connection.close()
            test.assertEqual(titles(), ["after rollback", "before"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_engine_begin_commits_into_the_test_transaction(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            with db.engine.begin() as connection:
                connection.execute(insert_note("begun"))
            test.assertEqual(titles(), ["begun"])
            # An error inside begin() rolls back only that block.
            with test.assertRaises(ZeroDivisionError), db.engine.begin() as connection:
                connection.execute(insert_note("failed block"))
                1 / 0  # noqa: B018
            test.assertEqual(titles(), ["begun"])
            test.assertEqual(test.client.get("/notes").get_json(), ["begun"])
            self.assertNotCommittedYet(test)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_session_execute_text(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            db.session.execute(sa.text(f"INSERT INTO {NOTE} (title) VALUES (:t)"), {"t": "text"})
            db.session.commit()
            db.session.execute(sa.text(f"INSERT INTO {NOTE} (title) VALUES (:t)"), {"t": "gone"})
            db.session.rollback()
            test.assertEqual(titles(), ["text"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_test_connection_sees_what_raw_code_wrote(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            with db.engine.begin() as connection:
                connection.execute(insert_note("x"))
            test.assertEqual(
                test.connection.execute(sa.text(f"SELECT title FROM {NOTE}")).scalar_one(), "x"
            )

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_only_table_less_statements(self) -> None:
        # A health-check style test: MariaDB/MySQL only open a transaction implicitly at
        # the first table read, which once looked like "transaction ended from inside".
        def body(test):  # type: ignore[no-untyped-def]
            test.assertEqual(test.connection.execute(sa.text("SELECT 1")).scalar_one(), 1)
            with db.engine.connect() as connection:
                test.assertEqual(connection.execute(sa.text("SELECT 2")).scalar_one(), 2)
            test.assertEqual(db.session.execute(sa.text("SELECT 3")).scalar_one(), 3)

        self.assertPassed(run_isolated(self.backend, body))


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class RawInViews(CoreChecks):
    def test_raw_views_and_session_execute_view(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.assertEqual(
                test.client.post("/raw/begin", data={"title": "begin"}).status_code, 204
            )
            test.client.post("/raw/connect", data={"title": "connect+commit", "commit": "1"})
            test.client.post("/raw/connect", data={"title": "connect only"})
            test.client.post("/session/execute", data={"title": "text"})
            test.assertEqual(titles(), ["begin", "connect+commit", "text"])
            test.assertEqual(
                test.client.get("/notes").get_json(), ["begin", "connect+commit", "text"]
            )
            self.assertNotCommittedYet(test)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()


# PostgreSQL only: its DDL is transactional. On SQLite the SPEC promises nothing about
# DDL, and on MariaDB/MySQL DDL commits implicitly (the library reports that instead).
@on_backends("postgresql")
class DDLInTest(CoreChecks):
    def test_create_table_and_add_column_are_rolled_back(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.connection.exec_driver_sql("CREATE TABLE core_ddl_probe (id integer)")
            with db.engine.begin() as connection:
                connection.exec_driver_sql("ALTER TABLE core_note ADD COLUMN core_extra integer")
                connection.exec_driver_sql("INSERT INTO core_ddl_probe VALUES (1)")
            inspector = sa.inspect(test.connection)
            test.assertIn("core_ddl_probe", inspector.get_table_names())
            test.assertIn("core_extra", [c["name"] for c in inspector.get_columns(NOTE)])

        self.assertPassed(run_isolated(self.backend, body))
        engine = fresh_engine(self.backend.url)
        try:
            with engine.connect() as connection:
                inspector = sa.inspect(connection)
                self.assertNotIn("core_ddl_probe", inspector.get_table_names())
                self.assertNotIn("core_extra", [c["name"] for c in inspector.get_columns(NOTE)])
        finally:
            engine.dispose()
        self.assertClean()
