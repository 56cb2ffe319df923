"""Misconfiguration: each mistake stops the test where it is made, saying what to change.

None of these tests reaches the point where the test body could write; each checks
that the body did not run and that the tables stay empty.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.ext import asyncio as sa_async

from flask_txtest import ConfigurationError, TransactionalTestCase, isolate
from tests._backends import on_backends
from tests.faults._support import (
    FaultChecks,
    FaultItem,
    add_item,
    app_for,
    db,
    on_app,
    run_case,
)

_ran: list[str] = []


def body(test: unittest.TestCase) -> None:
    """A test body that writes: it must never run in these faults."""
    _ran.append(test.id())
    add_item("must not be written")


class Misconfigured(FaultChecks):
    def setUp(self) -> None:
        super().setUp()
        _ran.clear()

    def assertStopped(self, case: type[unittest.TestCase], *fragments: str) -> str:
        text = self.assertFailedWith(
            run_case(case), "test_body", "ConfigurationError: ", *fragments
        )
        self.assertEqual(_ran, [], "the test body ran")
        self.assertCommitted(0)
        return text


def _case(base: type[t.Any] = TransactionalTestCase, **attributes: t.Any) -> type[t.Any]:
    return type("Case", (base,), {"test_body": body, **attributes})


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class AppAndTargets(Misconfigured):
    """Mistakes about the app and what to isolate: raised before any connection."""

    def test_no_app_and_no_create_app(self) -> None:
        self.assertStopped(
            _case(),
            "Case has no app: define create_app(self) returning your Flask app",
            "or set the class attribute app",
        )

    def test_a_factory_that_returns_something_else(self) -> None:
        self.assertStopped(
            _case(create_app=lambda self: None),
            "Case.create_app() gave None (a NoneType), not a Flask app. create_app must "
            "return the app",
        )

    def test_an_app_attribute_that_is_not_an_app(self) -> None:
        self.assertStopped(_case(app="myapp"), "Case.app gave 'myapp' (a str), not a Flask app.")

    def test_an_unknown_app_scope(self) -> None:
        backend = self.backend
        self.assertStopped(
            _case(create_app=lambda self: app_for(backend), app_scope="module"),
            "Case.app_scope is 'module'; use 'class' (create_app once per test class) or "
            "'test' (once per test).",
        )

    def test_nothing_to_isolate(self) -> None:
        self.assertStopped(
            _case(app=Flask("bare")),
            "Nothing to isolate for app 'bare': app.extensions['sqlalchemy'] holds nothing, "
            "not a Flask-SQLAlchemy or Flask-SQLAlchemy-Lite extension",
        )

    def test_a_db_the_app_does_not_use(self) -> None:
        backend = self.backend
        self.assertStopped(
            _case(create_app=lambda self: app_for(backend), db=SQLAlchemy()),
            "but the app's extensions['sqlalchemy'] is",
            "Call db.init_app(app) in the app factory, or leave db unset",
        )

    def test_a_db_of_an_unknown_kind(self) -> None:
        app = Flask("other_kind")
        app.extensions["sqlalchemy"] = object()
        self.assertStopped(
            _case(app=app),
            "flask_txtest knows flask_sqlalchemy.SQLAlchemy and flask_sqlalchemy_lite.SQLAlchemy",
        )

    def test_only_async_engines_on_a_sync_test_case(self) -> None:
        engine = sa_async.create_async_engine(self.backend.async_url)
        self.addCleanup(engine.sync_engine.dispose)
        self.assertStopped(
            _case(app=Flask("async_only"), async_engines=(engine,)),
            "the app has only async engines, which TransactionalTestCase does not isolate. "
            "Use AsyncTransactionalTestCase",
        )

    def on_app_case(self, **attributes: t.Any) -> type[t.Any]:
        backend = self.backend
        return _case(create_app=lambda self: app_for(backend), **attributes)

    def test_a_dotted_path_without_a_module(self) -> None:
        self.assertStopped(
            self.on_app_case(isolate_engines=("engine",)),
            "isolate_engines entry 'engine' is not a dotted path: write "
            "'package.module:attribute'.",
        )

    def test_a_dotted_path_whose_module_does_not_import(self) -> None:
        self.assertStopped(
            self.on_app_case(isolate_engines=("tests.faults.no_such_module:engine",)),
            "isolate_engines entry 'tests.faults.no_such_module:engine': cannot import module "
            "'tests.faults.no_such_module'",
            "Check the spelling, or pass the object itself.",
        )

    def test_a_dotted_path_to_a_missing_attribute(self) -> None:
        self.assertStopped(
            self.on_app_case(isolate_sessionmakers=("tests.faults._support:Sessoin",)),
            "isolate_sessionmakers entry 'tests.faults._support:Sessoin': "
            "'tests.faults._support' has no attribute 'Sessoin'.",
        )

    def test_isolate_engines_given_something_else(self) -> None:
        self.assertStopped(
            self.on_app_case(isolate_engines=("tests.faults._support:db",)),
            "isolate_engines expects sqlalchemy Engine objects or 'module:attribute' paths "
            "to them, got",
        )

    def test_isolate_engines_given_an_async_engine(self) -> None:
        engine = sa_async.create_async_engine(self.backend.async_url)
        self.addCleanup(engine.sync_engine.dispose)
        self.assertStopped(
            self.on_app_case(isolate_engines=(engine,)),
            "An AsyncEngine goes in async_engines, on an AsyncTransactionalTestCase.",
        )

    def test_isolate_sessionmakers_given_a_session(self) -> None:
        session = sa_orm.Session()
        self.assertStopped(
            self.on_app_case(isolate_sessionmakers=(session,)),
            "isolate_sessionmakers expects sqlalchemy sessionmaker or scoped_session objects",
            "Pass the sessionmaker that makes the session, not a session.",
        )

    def test_isolate_sessionmakers_given_an_async_sessionmaker(self) -> None:
        self.assertStopped(
            self.on_app_case(isolate_sessionmakers=(sa_async.async_sessionmaker(),)),
            "An async_sessionmaker goes in async_sessionmakers, on an async test case.",
        )

    def test_async_engines_given_a_sync_engine(self) -> None:
        self.assertStopped(
            self.on_app_case(async_engines=(sa.create_engine(self.backend.url),)),
            "async_engines expects sqlalchemy AsyncEngine objects or 'module:attribute' paths",
            "A sync Engine goes in isolate_engines.",
        )

    def test_async_sessionmakers_given_a_sync_sessionmaker(self) -> None:
        self.assertStopped(
            self.on_app_case(async_sessionmakers=(sa_orm.sessionmaker(),)),
            "async_sessionmakers expects sqlalchemy async_sessionmaker objects",
            "A sync sessionmaker goes in isolate_sessionmakers.",
        )


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class InsideTheTest(Misconfigured):
    """Mistakes met once the test runs."""

    def test_an_unknown_bind_key(self) -> None:
        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_body(self) -> None:
                self.connections["reports"]
                body(self)

        self.assertStopped(
            Case,
            "Unknown bind key 'reports': this test isolates None. Use a key of "
            "SQLALCHEMY_BINDS (None for the default database), or an extra engine itself.",
        )

    def test_query_assertions_outside_a_test(self) -> None:
        def test_body(self: t.Any) -> None:
            not_running = type(self)("test_body")
            with not_running.assertNumQueries(0):
                pass
            body(self)

        self.assertStopped(
            _case(on_app(self.backend), test_body=test_body),
            "The query assertions work inside a test (from setUp() to the cleanups), where "
            "the databases are isolated; use them there.",
        )

    def test_query_assertions_on_a_connection_the_library_did_not_open(self) -> None:
        engine = sa.create_engine(self.backend.url)
        self.addCleanup(engine.dispose)

        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_body(self) -> None:
                with engine.connect() as connection:
                    self.connections = {None: connection}
                    with self.assertNumQueries(0):
                        pass
                body(self)

        self.assertStopped(
            Case, "is not watched, so its queries cannot be counted; it was not opened by "
        )

    def test_template_assertions_outside_a_test(self) -> None:
        def test_body(self: t.Any) -> None:
            type(self)("test_body").assertTemplateUsed("index.html")
            body(self)

        result = run_case(_case(on_app(self.backend), test_body=test_body))
        self.assertFailedWith(
            result,
            "test_body",
            "RuntimeError: templates is recorded while a test runs (from before setUp() to "
            "after tearDown()): use the template and flash assertions inside a test.",
        )
        self.assertEqual(_ran, [])
        self.assertCommitted(0)


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class ClassDataAndSequences(Misconfigured):
    def test_setuptestdata_with_one_app_per_test(self) -> None:
        def setUpTestData(cls: t.Any) -> None:
            add_item("class data")

        self.assertStopped(
            _case(on_app(self.backend), app_scope="test", setUpTestData=classmethod(setUpTestData)),
            "defines setUpTestData(), which makes data once per class, but app_scope is "
            "'test': one app per test has no class to share it.",
        )

    def test_setuptestdata_leaving_an_object_unsaved(self) -> None:
        def setUpTestData(cls: t.Any) -> None:
            cls.item = FaultItem(title="never added")

        def test_body(self: t.Any) -> None:
            self.item.title  # noqa: B018
            body(self)

        self.assertStopped(
            _case(
                on_app(self.backend),
                setUpTestData=classmethod(setUpTestData),
                test_body=test_body,
            ),
            "(no primary key): add it to the session and commit (or flush) it in "
            "setUpTestData, or keep it out of class attributes.",
        )

    def test_class_data_used_outside_a_test(self) -> None:
        def setUpTestData(cls: t.Any) -> None:
            cls.item = FaultItem(title="class data")
            db.session.add(cls.item)
            db.session.commit()

        def test_body(self: t.Any) -> None:
            type(self)("test_body").item.title  # noqa: B018
            body(self)

        self.assertStopped(
            _case(
                on_app(self.backend),
                setUpTestData=classmethod(setUpTestData),
                test_body=test_body,
            ),
            "Case.item is class data from setUpTestData(); it is usable inside a test (from "
            "setUp() to the cleanups), where it is bound to the test's session.",
        )

    def test_reset_sequences_without_metadata(self) -> None:
        engine = sa.create_engine(self.backend.url)
        self.addCleanup(engine.dispose)
        if self.backend.is_memory:
            self.skipTest("a second sqlite:// engine is an empty database of its own")
        self.assertStopped(
            _case(app=Flask("plain"), isolate_engines=(engine,), reset_sequences=True),
            "Case.reset_sequences needs to know the app's tables. Set metadata = "
            "Base.metadata (the MetaData of your models; with Alchemical: metadata = "
            "db.Model.metadata).",
        )


@on_backends("mysql")
class ResetSequencesOnMariaDB(Misconfigured):
    def test_reset_sequences_cannot_work_on_mariadb(self) -> None:
        self.assertStopped(
            _case(on_app(self.backend), reset_sequences=True),
            "reset_sequences cannot work on MariaDB/MySQL: AUTO_INCREMENT counters are never "
            "given back on rollback",
        )


class IsolateWithoutApp(unittest.TestCase):
    def test_isolate_reset_sequences_without_metadata_in_its_own_words(self) -> None:
        engine = sa.create_engine("sqlite://")
        self.addCleanup(engine.dispose)
        with (
            self.assertRaises(ConfigurationError) as raised,
            isolate(engines=[engine], create_schema=False, reset_sequences=True),
        ):
            self.fail("the block ran")
        self.assertEqual(
            str(raised.exception),
            "isolate(reset_sequences=True) needs to know the app's tables. Pass "
            "metadata=Base.metadata (the MetaData of your models; with Alchemical: "
            "metadata=db.Model.metadata).",
        )

    def test_isolate_with_a_db_but_no_app(self) -> None:
        with self.assertRaises(ConfigurationError) as raised, isolate(db=db):
            self.fail("the block ran")
        self.assertEqual(
            str(raised.exception),
            "isolate() needs the app whose db it isolates: isolate(app).",
        )


if __name__ == "__main__":
    unittest.main()
