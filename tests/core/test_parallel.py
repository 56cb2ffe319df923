"""Parallel runs: the forum example (examples/parallel) under ``pytest -n 2`` and
``TXTEST_PARALLEL=1 unittest-parallel -j 2``, on SQLite files, PostgreSQL and MariaDB.

Its tests assert literal ids (``reset_sequences``; not on MariaDB, which cannot reset
AUTO_INCREMENT) and every test writes the same UNIQUE names, through ``db.session``, a
bind and an extra engine (TestCases, and under pytest the plugin's fixtures too): two
processes on one database would block each other and take each other's ids
(``test_parallel_units.WithoutCopiesTests`` shows the blocking). Each run is a real
subprocess of the real runners; afterwards fresh connections check that the main
databases and every copy are empty, that a second run reuses the copies (a probe table
put into each copy survives it) and that a changed schema remakes them (the probe is
gone).

The runs take a while, so ``make test`` runs them on SQLite only;
``TXTEST_PARALLEL_BACKENDS=sqlite,postgresql,mysql`` (``make test-parallel``, a section of
``.ci/run``) runs all three.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shlex
import subprocess
import sys
import typing as t
import unittest

import sqlalchemy as sa

from flask_txtest.core.parallel.cleanup import drop_copies
from tests._backends import BACKENDS, TMP, Backend, admin_engine, fresh_engine

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "parallel"
#: The commands docs/parallel.md shows, as the example keeps them.
COMMANDS = [
    line
    for line in (EXAMPLE / "commands.sh").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
PYTEST_N2, UNITTEST_PARALLEL_J2, CLEANUP = COMMANDS

#: The example's TestCases (both runners), and its plugin-fixture tests (pytest only).
UNITTEST_TESTS = 21
PYTEST_TESTS = UNITTEST_TESTS + 3

CHOSEN = {
    name.strip()
    for name in os.environ.get("TXTEST_PARALLEL_BACKENDS", "sqlite").split(",")
    if name.strip()
}
TABLES = {"main": ("forum_users", "forum_groups", "forum_search"), "audit": ("forum_audit",)}
_RUNNER_ENV = ("PYTEST_XDIST_WORKER", "TXTEST_PARALLEL", "TXTEST_DROP_DATABASES", "FORUM_SCHEMA")


def _command(line: str, env: dict[str, str]) -> list[str]:
    """A line of commands.sh as argv: ``VAR=value`` prefixes go to ``env``; the tools
    run with this interpreter (``python -m ...``)."""
    words = shlex.split(line)
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    words = [env.get(word[1:], word) if word.startswith("$") else word for word in words]
    tools = {"pytest": ["-m", "pytest"], "unittest-parallel": ["-m", "unittest_parallel"]}
    head = words.pop(0)
    return [sys.executable, *tools.get(head, []), *words]


class ParallelRuns(unittest.TestCase):
    backend: t.ClassVar[Backend]
    main: t.ClassVar[str]
    audit: t.ClassVar[str]

    @classmethod
    def setUpClass(cls) -> None:
        base = sa.make_url(cls.backend.url)
        sqlite = cls.backend.dialect == "sqlite"
        prefix = "test_parallel" if sqlite else f"{base.database}_parallel"
        cls.main, cls.audit = prefix, f"{prefix}_audit"
        for name in (cls.main, cls.audit):
            cls._create_database(name)
            drop_copies(cls.url(name))
        cls.addClassCleanup(cls._drop_everything)

    def setUp(self) -> None:
        for name in (self.main, self.audit):  # each test starts with no copies
            drop_copies(self.url(name))

    @classmethod
    def url(cls, name: str) -> str:
        if cls.backend.dialect == "sqlite":
            return f"sqlite:///{TMP / f'{name}.db'}"
        return sa.make_url(cls.backend.url).set(database=name).render_as_string(False)

    @classmethod
    def _create_database(cls, name: str) -> None:
        if cls.backend.dialect == "sqlite":
            (TMP / f"{name}.db").unlink(missing_ok=True)
            return
        cls._server_sql(f"DROP DATABASE IF EXISTS {name}")
        cls._server_sql(f"CREATE DATABASE {name}")

    @classmethod
    def _server_sql(cls, statement: str) -> None:
        engine = admin_engine(cls.backend.url)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(statement)
        finally:
            engine.dispose()

    @classmethod
    def _drop_everything(cls) -> None:
        for name in (cls.main, cls.audit):
            drop_copies(cls.url(name))
            if cls.backend.dialect == "sqlite":
                (TMP / f"{name}.db").unlink(missing_ok=True)
            else:
                cls._server_sql(f"DROP DATABASE IF EXISTS {name}")

    # -- running the example --------------------------------------------------------

    def run_example(self, line: str, **extra: str) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items() if key not in _RUNNER_ENV}
        env.update(
            PYTHONPATH=os.pathsep.join([str(ROOT), str(EXAMPLE)]),
            FORUM_DATABASE_URL=self.url(self.main),
            FORUM_AUDIT_URL=self.url(self.audit),
            **extra,
        )
        argv = _command(line, env)
        return subprocess.run(
            argv, cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=300, check=False
        )

    def assert_passed(
        self, run: subprocess.CompletedProcess[str], tests: int = UNITTEST_TESTS
    ) -> None:
        output = run.stdout + run.stderr
        self.assertEqual(run.returncode, 0, output[-4000:])
        self.assertTrue(
            f"{tests} passed" in output or f"Ran {tests} tests" in output, output[-2000:]
        )

    # -- what is in the databases, from fresh connections -----------------------------

    def copies(self) -> dict[str, list[str]]:
        from flask_txtest.core.parallel.servers import server_for

        found = {}
        for kind, name in (("main", self.main), ("audit", self.audit)):
            engine = fresh_engine(self.url(name))
            try:
                found[kind] = server_for(engine).existing_copies()
            finally:
                engine.dispose()
        return found

    def assert_all_empty(self) -> None:
        """The main databases and every copy hold no row (committed, seen from outside)."""
        for kind, copies in self.copies().items():
            main = self.main if kind == "main" else self.audit
            for name in (main, *copies):
                engine = fresh_engine(self.url(name))
                try:
                    with engine.connect() as connection:
                        present = set(sa.inspect(connection).get_table_names())
                        for table in TABLES[kind]:
                            if table in present:
                                count = connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}")
                                self.assertEqual(count.scalar_one(), 0, f"{name}.{table}")
                            else:  # the main database is never written, not even its schema
                                self.assertEqual(name, main, f"the copy {name} lacks {table}")
                finally:
                    engine.dispose()

    def put_probe(self, names: list[str]) -> None:
        for name in names:
            engine = fresh_engine(self.url(name))
            try:
                with engine.begin() as connection:
                    connection.exec_driver_sql("CREATE TABLE forum_probe (id INTEGER)")
            finally:
                engine.dispose()

    def has_probe(self, name: str) -> bool:
        engine = fresh_engine(self.url(name))
        try:
            with engine.connect() as connection:
                return "forum_probe" in sa.inspect(connection).get_table_names()
        finally:
            engine.dispose()

    def all_copies(self) -> list[str]:
        return [name for names in self.copies().values() for name in names]

    def workers_copies(self) -> dict[str, list[str]]:
        """The copies the workers use (the templates left out)."""
        return {
            kind: [name for name in names if not name.endswith("_template")]
            for kind, names in self.copies().items()
        }

    # -- the tests --------------------------------------------------------------------

    def test_pytest_xdist_copies_are_made_reused_and_remade_when_the_schema_changes(self):
        self.assert_passed(self.run_example(PYTEST_N2), PYTEST_TESTS)
        expected = {
            "main": [f"{self.main}_gw0", f"{self.main}_gw1"],
            "audit": [f"{self.audit}_gw0", f"{self.audit}_gw1"],
        }
        self.assertEqual(self.workers_copies(), expected)
        self.assert_all_empty()

        self.put_probe(self.all_copies())
        self.assert_passed(self.run_example(PYTEST_N2), PYTEST_TESTS)
        self.assertEqual([n for n in self.all_copies() if not self.has_probe(n)], [], "reused")
        self.assert_all_empty()

        self.assert_passed(self.run_example(PYTEST_N2, FORUM_SCHEMA="2"), PYTEST_TESTS)
        self.assertEqual([n for n in self.all_copies() if self.has_probe(n)], [], "remade")
        engine = fresh_engine(self.url(f"{self.main}_gw0"))
        try:
            columns = {c["name"] for c in sa.inspect(engine).get_columns("forum_users")}
        finally:
            engine.dispose()
        self.assertIn("signature", columns)
        self.assert_all_empty()

    def test_unittest_parallel_claims_slots_and_two_runs_at_once_both_pass(self):
        self.assert_passed(self.run_example(UNITTEST_PARALLEL_J2))
        self.assertEqual(self.workers_copies()["main"], [f"{self.main}_0", f"{self.main}_1"])
        self.assert_all_empty()

        # Two separate runs at once: each process claims a slot nobody holds.
        env = {key: value for key, value in os.environ.items() if key not in _RUNNER_ENV}
        env.update(
            PYTHONPATH=os.pathsep.join([str(ROOT), str(EXAMPLE)]),
            FORUM_DATABASE_URL=self.url(self.main),
            FORUM_AUDIT_URL=self.url(self.audit),
        )
        argv = _command(UNITTEST_PARALLEL_J2, env)
        runs = [
            subprocess.Popen(
                argv,
                cwd=EXAMPLE,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        for run in runs:
            output, _ = run.communicate(timeout=300)
            self.assertEqual(run.returncode, 0, output[-4000:])
            self.assertIn(f"Ran {UNITTEST_TESTS} tests", output)
        self.assertLessEqual(len(self.workers_copies()["main"]), 4)
        self.assert_all_empty()

    def test_txtest_drop_databases_leaves_no_copy(self):
        self.assert_passed(self.run_example(f"{PYTEST_N2} --txtest-drop-databases"), PYTEST_TESTS)
        self.assertEqual(self.all_copies(), [])

    def test_the_cleanup_command_drops_every_copy(self):
        self.assert_passed(self.run_example(UNITTEST_PARALLEL_J2))
        self.assertNotEqual(self.all_copies(), [])
        run = self.run_example(CLEANUP)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn(f"dropped {self.main}_0", run.stdout)
        self.assertEqual(self.all_copies(), [])


_RUNNERS = [
    name for name in ("xdist", "unittest_parallel") if importlib.util.find_spec(name) is None
]

for _name in ("sqlite", "postgresql", "mysql"):
    _backend = BACKENDS[_name]
    _copy = type(f"ParallelRuns_{_name}", (ParallelRuns,), {"backend": _backend})
    _reason = _backend.unavailable_reason
    if _RUNNERS:
        _copy = unittest.skip(
            f"parallel runs: {', '.join(_RUNNERS)} not installed (pip install -e '.[dev]')"
        )(_copy)
    elif _name not in CHOSEN:
        _copy = unittest.skip(
            f"parallel runs on {_name}: set TXTEST_PARALLEL_BACKENDS (make test-parallel)"
        )(_copy)
    elif _reason is not None:
        _copy = unittest.skip(f"backend {_name} skipped: {_reason}")(_copy)
    globals()[_copy.__name__] = _copy
del ParallelRuns, _copy, _backend, _reason, _name
