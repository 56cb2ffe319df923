"""Two test processes on one database, without copies: the second is told so at its
start, with what to do, instead of waiting on the first's locks (shown happening with
the check turned off, ``TXTEST_PARALLEL=0``). A process that a test process started
(and waits for) may use its parent's databases. Real processes, on a database of their
own (``<main>_alone``) that this runner never isolates.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import typing as t
import unittest

import sqlalchemy as sa

from tests._backends import Backend, admin_engine, fresh_engine, on_backends

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent

ANOTHER = "Another process is running tests on"


@on_backends("postgresql", "mysql")
class TwoProcessesOnOneDatabase(unittest.TestCase):
    backend: Backend

    @classmethod
    def setUpClass(cls) -> None:
        url = sa.make_url(cls.backend.url)
        cls.database = f"{url.database}_alone"
        cls.url = url.set(database=cls.database).render_as_string(hide_password=False)
        engine = admin_engine(cls.backend.url)
        with engine.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {cls.database}")
            connection.exec_driver_sql(f"CREATE DATABASE {cls.database}")
        engine.dispose()

    @classmethod
    def tearDownClass(cls) -> None:
        engine = admin_engine(cls.backend.url)
        with engine.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {cls.database}")
        engine.dispose()

    def start(self, mode: str, **env: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "tests.faults._alone_process", self.url, mode]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.addCleanup(self.stop, process)
        return process

    def stop(self, process: subprocess.Popen[str]) -> str:
        """Let the process end (a holder waits for a line); its output, once."""
        if process.returncode is not None:
            return ""
        output, _ = process.communicate("\n", timeout=120)
        return output

    def holding(self, **env: str) -> subprocess.Popen[str]:
        holder = self.start("hold", **env)
        assert holder.stdout is not None
        self.assertEqual(holder.stdout.readline().strip(), "isolated")
        return holder

    def run_one(self, mode: str = "try", **env: str) -> str:
        return self.stop(self.start(mode, **env))

    def assertEmpty(self) -> None:
        engine = fresh_engine(self.url)
        try:
            with engine.connect() as connection:
                count = connection.exec_driver_sql("SELECT COUNT(*) FROM alone_mark").scalar_one()
        finally:
            engine.dispose()
        self.assertEqual(count, 0)

    def test_the_second_process_is_refused_saying_what_to_do(self) -> None:
        holder = self.holding()
        output = self.run_one()
        self.assertIn(f"ConfigurationError: {ANOTHER} {self.url.split('@')[0]}", output)
        self.assertIn("two test processes on one database block each other", output)
        self.assertIn("TXTEST_PARALLEL=1", output)
        self.assertIn("TXTEST_PARALLEL=0", output)
        self.stop(holder)
        # Once the first has ended, the claim is free.
        self.assertEqual(self.run_one().strip(), "isolated")
        self.assertEmpty()

    def test_without_the_check_the_second_waits_on_the_firsts_locks(self) -> None:
        holder = self.holding(TXTEST_PARALLEL="0")
        output = self.run_one(TXTEST_PARALLEL="0")
        self.assertIn("OperationalError", output)
        self.assertRegex(output, "(?i)lock (timeout|wait timeout)")
        self.stop(holder)
        self.assertEmpty()

    def test_a_process_the_holder_started_may_use_its_databases(self) -> None:
        output = self.run_one("parent")
        lines: list[t.Any] = [line.strip() for line in output.splitlines() if line.strip()]
        # The parent isolated; its child (waited for) isolated too, on the same database.
        self.assertEqual(lines[:2], ["isolated", "isolated"], output)
        self.assertEmpty()


if __name__ == "__main__":
    unittest.main()
