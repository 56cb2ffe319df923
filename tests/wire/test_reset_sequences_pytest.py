"""reset_sequences outside unittest: ``isolate(reset_sequences=True)``, the
``txtest_reset_sequences`` ini option and the marker of the same name.

PostgreSQL hands out a new id in each test (nextval is never rolled back); with the
option every test's first row gets the same id, and the sequence is put back after.
"""

from __future__ import annotations

import typing as t
import unittest

from flask import Flask

from flask_txtest import ConfigurationError, isolate
from tests._backends import Backend, count_rows, on_backends
from tests._pytest_runs import run_pytest, write_project
from tests.wire.test_reset_sequences import ITEM, RsItem, insert, make_app

_apps: dict[str, Flask] = {}


def app_on(backend: Backend) -> Flask:
    if backend.name not in _apps:
        _apps[backend.name] = make_app(backend.url)
    return _apps[backend.name]


def first_ids(app: Flask, reset: bool) -> list[int]:
    ids = []
    for _ in range(2):
        with isolate(app, reset_sequences=reset), app.app_context():
            ids.append(insert(RsItem))
    return ids


@on_backends("sqlite", "postgresql")
class IsolateResetSequencesTest(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def test_every_block_gets_the_same_first_id(self) -> None:
        app = app_on(self.backend)
        first, second = first_ids(app, reset=True)
        self.assertEqual(first, second)
        self.assertEqual(count_rows(self.backend.url, ITEM), 0)

    def test_without_it_postgresql_hands_out_new_ids(self) -> None:
        app = app_on(self.backend)
        first, second = first_ids(app, reset=False)
        if self.backend.dialect == "postgresql":
            self.assertEqual(second, first + 1)
        else:  # SQLite gives rolled-back ids back by itself
            self.assertEqual(first, second)


@on_backends("mysql")
class IsolateResetSequencesRefusedTest(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def test_mariadb_refuses_saying_why(self) -> None:
        app = app_on(self.backend)
        with self.assertRaises(ConfigurationError) as raised, isolate(app, reset_sequences=True):
            pass
        self.assertIn("reset_sequences cannot work on MariaDB/MySQL", str(raised.exception))


CONFTEST = """
    import os

    import pytest

    from tests.wire.test_reset_sequences import make_app


    @pytest.fixture(scope="session")
    def app():
        return make_app(os.environ["DATABASE_URL"])
"""

IDS_TESTS = """
    import pytest

    from tests.wire.test_reset_sequences import RsItem, insert

    IDS = []


    @pytest.mark.parametrize("run", [1, 2, 3])
    {mark}def test_first_id(txtest_session, run):
        IDS.append(insert(RsItem))


    def test_zz_the_ids(txtest_session):
        assert len(set(IDS)) == {distinct}, IDS
"""


@on_backends("postgresql")
class PluginResetSequencesTest(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def run_ids(self, *args: str, mark: str = "", distinct: int) -> None:
        mark = f"{mark}\n    " if mark else ""
        files = {
            "conftest.py": CONFTEST,
            "test_ids.py": IDS_TESTS.format(mark=mark, distinct=distinct),
        }
        project = write_project(files, self.addCleanup)
        run = run_pytest(project, "--strict-markers", *args, env={"DATABASE_URL": self.backend.url})
        self.assertEqual(run.summary(), {"passed": 4}, run.output)
        self.assertEqual(count_rows(self.backend.url, ITEM), 0)

    def test_without_the_option_each_test_gets_a_new_id(self) -> None:
        self.run_ids(distinct=3)

    def test_the_ini_option_gives_every_test_the_same_first_id(self) -> None:
        self.run_ids("-o", "txtest_reset_sequences=true", distinct=1)

    def test_the_marker_does_it_for_one_test(self) -> None:
        self.run_ids(mark="@pytest.mark.txtest_reset_sequences", distinct=1)

    def test_the_marker_with_false_turns_the_option_off_for_a_test(self) -> None:
        self.run_ids(
            "-o",
            "txtest_reset_sequences=true",
            mark="@pytest.mark.txtest_reset_sequences(False)",
            distinct=3,
        )

    def test_inside_module_data_ids_start_after_the_data(self) -> None:
        tests = """
            import pytest

            from flask_txtest.pytest_plugin import data_fixture
            from tests.wire.test_reset_sequences import RsItem, db, insert


            @data_fixture(scope="module")
            def made():
                item = RsItem(name="made once")
                db.session.add(item)
                return item


            @pytest.mark.txtest_reset_sequences
            @pytest.mark.parametrize("run", [1, 2])
            def test_first_id(made, txtest_session, run):
                assert insert(RsItem) == made.id + 1
        """
        before = """
            import pytest

            from tests.wire.test_reset_sequences import RsItem, insert


            @pytest.mark.txtest_reset_sequences
            def test_before_the_data(txtest_session):
                insert(RsItem)
        """
        files = {"conftest.py": CONFTEST, "test_a_before.py": before, "test_data.py": tests}
        run = run_pytest(
            write_project(files, self.addCleanup), env={"DATABASE_URL": self.backend.url}
        )
        self.assertEqual(run.summary(), {"passed": 3}, run.output)
        self.assertEqual(count_rows(self.backend.url, ITEM), 0)
