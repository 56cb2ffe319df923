"""Escaped commits: a COMMIT through a connection the library did not pin fails the test.

The message names the engine (password hidden), the line of the user's code that opened
the connection, and the attribute that fixes it. The leaked rows are really there (the
guard reports, it cannot undo), so each test checks them and cleans them up.

SQLite ``:memory:`` is left out: a second engine of ``sqlite://`` is a database of its
own, so nothing can escape into the test's database.
"""

from __future__ import annotations

import inspect
import sysconfig
import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

from tests._backends import on_backends
from tests.faults._support import FaultChecks, add_item, insert_item, on_app, run_case, stray_line

ESCAPED = "A COMMIT reached an isolated database outside the test transaction"


def _line_below() -> int:
    """The line after the caller's: where the statement that opens a connection is."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno + 1


@on_backends("sqlite", "postgresql", "mysql")
class EscapedCommit(FaultChecks):
    def stray_engine(self, url: str | None = None) -> sa.Engine:
        engine = sa.create_engine(url or self.backend.url)
        self.addCleanup(engine.dispose)
        return engine

    def test_second_engine_of_the_same_url_fails_the_test_naming_engine_and_line(self) -> None:
        stray = self.stray_engine()
        opened_at: list[int] = []

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_commit(self) -> None:
                opened_at.append(_line_below())
                with stray.begin() as connection:
                    connection.execute(insert_item("escaped"))

        result = run_case(Faulty)
        safe = stray.url.render_as_string(hide_password=True)
        self.assertFailedWith(
            result,
            "test_commit",
            "IsolationError: " + ESCAPED,
            f"It came through:\n  - {safe} (engine Engine(",
            f'opened at File "{__file__}", line {opened_at[0]}, in test_commit',
            "add it to isolate_engines",
        )
        self.assertCommitted(1)  # the leak the guard reported

    def test_an_orm_session_of_another_engine_is_named_with_the_users_line(self) -> None:
        # The session connects from SQLAlchemy's generated "<... _go() wrapper>" code:
        # that frame, and every other one not of the user's own files, is skipped.
        stray = self.stray_engine()
        opened_at: list[int] = []

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_commit(self) -> None:
                with sa_orm.Session(stray) as session:
                    opened_at.append(_line_below())
                    session.execute(insert_item("escaped through a session"))
                    session.commit()

        text = self.assertFailedWith(
            run_case(Faulty),
            "test_commit",
            ESCAPED,
            f'opened at File "{__file__}", line {opened_at[0]}, in test_commit',
        )
        self.assertNotIn("generated", text)
        self.assertCommitted(1)

    def test_an_installed_package_in_between_is_skipped_for_the_users_line(self) -> None:
        # Code of another installed package opens the connection on the test's behalf.
        stray = self.stray_engine()
        helper_file = f"{sysconfig.get_paths()['purelib']}/some_package/writer.py"
        namespace: dict[str, t.Any] = {}
        source = (
            "def write(engine, statement):\n"
            "    with engine.begin() as connection:\n"
            "        connection.execute(statement)\n"
        )
        exec(compile(source, helper_file, "exec"), namespace)
        opened_at: list[int] = []

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_commit(self) -> None:
                opened_at.append(_line_below())
                namespace["write"](stray, insert_item("through a package"))

        text = self.assertFailedWith(
            run_case(Faulty),
            "test_commit",
            ESCAPED,
            f'opened at File "{__file__}", line {opened_at[0]}, in test_commit',
        )
        self.assertNotIn("some_package", text)
        self.assertCommitted(1)

    def test_listing_the_engine_in_isolate_engines_fixes_it(self) -> None:
        stray = self.stray_engine()

        class Fixed(on_app(self.backend, isolate_engines=[stray])):  # type: ignore[misc]
            def test_commit(self) -> None:
                with stray.begin() as connection:
                    connection.execute(insert_item("pinned"))
                self.assertEqual(self.client.get("/items").get_json(), ["pinned"])

        self.assertPassed(run_case(Fixed))
        self.assertCommitted(0)

    def test_nullpool_engine_made_in_a_view_is_named_with_the_view_line(self) -> None:
        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_request(self) -> None:
                self.assertEqual(self.client.post("/stray", data={"title": "v"}).status_code, 201)

        result = run_case(Faulty)
        self.assertFailedWith(
            result,
            "test_request",
            ESCAPED,
            f"line {stray_line()}, in stray_view",
            "or make the code use the app's engine",
        )
        self.assertCommitted(1)

    def test_unlisted_sessionmaker_names_isolate_sessionmakers(self) -> None:
        stray_session = sa_orm.sessionmaker(bind=self.stray_engine())

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_commit(self) -> None:
                with stray_session() as session:
                    session.execute(insert_item("from a unit of work"))
                    session.commit()

        result = run_case(Faulty)
        self.assertFailedWith(
            result, "test_commit", ESCAPED, "its sessionmaker to isolate_sessionmakers"
        )
        self.assertCommitted(1)

        class Fixed(on_app(self.backend, isolate_sessionmakers=[stray_session])):  # type: ignore[misc]
            def test_commit(self) -> None:
                with stray_session() as session:
                    session.execute(insert_item("isolated"))
                    session.commit()

        self.assertPassed(run_case(Fixed))
        self.assertCommitted(1)  # still only the first run's leak

    def test_a_commit_that_escapes_fails_only_its_own_test(self) -> None:
        stray = self.stray_engine()

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_a_escapes(self) -> None:
                with stray.begin() as connection:
                    connection.execute(insert_item("escaped"))

            def test_b_next(self) -> None:
                add_item("isolated")
                self.assertEqual(self.client.get("/items").get_json(), ["escaped", "isolated"])

        result = run_case(Faulty)
        self.assertEqual(result.testsRun, 2)
        self.assertFailedWith(result, "test_a_escapes", ESCAPED)
        self.assertCommitted(1)


@on_backends("postgresql", "mysql")
class EscapedCommitAfterTestWrote(FaultChecks):
    """SQLite is left out: a second connection cannot commit while the test connection
    holds its write lock ("database is locked" after the busy timeout)."""

    def test_escape_after_the_test_wrote_keeps_only_the_escaped_row(self) -> None:
        stray = sa.create_engine(self.backend.url)
        self.addCleanup(stray.dispose)

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_commit(self) -> None:
                add_item("in the test transaction")
                with stray.begin() as connection:
                    connection.execute(insert_item("escaped"))

        self.assertFailedWith(run_case(Faulty), "test_commit", ESCAPED)
        self.assertCommitted(1)


@on_backends("postgresql")
class EscapedCommitPasswordHidden(FaultChecks):
    """The local PostgreSQL trusts 127.0.0.1, so a URL with any password connects."""

    def test_the_password_of_the_stray_engine_is_hidden(self) -> None:
        url = sa.make_url(self.backend.url).set(password="s3cret-fault")
        stray = sa.create_engine(url)
        self.addCleanup(stray.dispose)

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_commit(self) -> None:
                with stray.begin() as connection:
                    connection.execute(insert_item("escaped"))

        text = self.assertFailedWith(run_case(Faulty), "test_commit", ESCAPED, ":***@")
        self.assertNotIn("s3cret-fault", text)
        self.assertCommitted(1)


if __name__ == "__main__":
    unittest.main()
