"""Mistakes with async class data, each refused with a message that says what to do."""

from __future__ import annotations

from unittest import mock

import sqlalchemy as sa
import sqlalchemy.util as sa_util
from flask import Flask

from flask_txtest import TransactionalTestCase
from flask_txtest.unittest import async_class_data as _async_class_data
from tests._backends import on_backends
from tests.apps.async_class_data_app import Base, ClassDataChecks
from tests.faults._support import describe, run_case


@on_backends("sqlite", "postgresql", "mysql")
class AsyncClassDataMistakes(ClassDataChecks):
    def test_async_set_up_test_data_in_a_sync_case_is_refused(self) -> None:
        engine = sa.create_engine(self.backend.url)
        self.addCleanup(engine.dispose)

        class Case(TransactionalTestCase):
            isolate_engines = (engine,)
            metadata = Base.metadata
            app = Flask(__name__)

            @classmethod
            async def setUpTestData(cls) -> None:
                pass  # pragma: no cover - never awaited

            def test_it(self) -> None:
                pass  # pragma: no cover - refused before

        result = run_case(Case)

        self.assertEqual(len(result.errors), 1, describe(result))
        self.assertIn(
            "setUpTestData is 'async def', which only an async test case can await.",
            describe(result),
        )
        self.assertIn("Subclass AsyncTransactionalTestCase", describe(result))

    def test_before_python_3_11_async_class_data_is_refused_with_the_reason(self) -> None:
        class Case(self.base()):  # type: ignore[misc]
            @classmethod
            async def setUpTestData(cls) -> None:
                pass  # pragma: no cover - refused before

            async def test_it(self) -> None:
                pass  # pragma: no cover - refused before

        with mock.patch.object(_async_class_data, "RUNNER_HOOKS", False):
            result = run_case(Case)

        self.assertEqual(len(result.errors), 1, describe(result))
        self.assertIn(
            "setUpTestData is 'async def', which needs Python 3.11 or newer", describe(result)
        )
        self.assertIn("make the data in asyncSetUp", describe(result))


@on_backends("sqlite", "postgresql")
class AsyncResetSequencesWithoutGreenletSpawn(ClassDataChecks):
    def test_a_moved_greenlet_spawn_is_refused_loudly(self) -> None:
        ran: list[str] = []

        class Case(self.base()):  # type: ignore[misc]
            reset_sequences = True

            async def test_it(self) -> None:
                ran.append("test")  # pragma: no cover - refused before

        with mock.patch.object(sa_util, "greenlet_spawn", None):
            result = run_case(Case)

        self.assertEqual(len(result.errors), 1, describe(result))
        self.assertEqual(ran, [])
        self.assertIn(
            "flask_txtest needs sqlalchemy.util.greenlet_spawn to reset the sequences of "
            "async engines, and this SQLAlchemy has moved it: please report it.",
            describe(result),
        )


@on_backends("mysql")
class AsyncResetSequencesOnMariaDB(ClassDataChecks):
    def test_reset_sequences_is_refused_with_what_to_do_instead(self) -> None:
        class Case(self.base()):  # type: ignore[misc]
            reset_sequences = True

            async def test_it(self) -> None:
                pass  # pragma: no cover - refused before

        result = run_case(Case)

        self.assertEqual(len(result.errors), 1, describe(result))
        self.assertIn("reset_sequences cannot work on MariaDB/MySQL", describe(result))
        self.assertIn("compare ids with each other", describe(result))
