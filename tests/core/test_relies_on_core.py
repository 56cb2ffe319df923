"""What core relies on that is not public API: each fails loudly here if it moves.

Each use carries a ``# relies on: <dotted.name>`` marker in ``flask_txtest/core``; this
module checks that the thing exists and does what core needs of it, and that every
marker in core is covered here.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.thread
import pathlib
import re
import threading
import unittest

import sqlalchemy as sa

from flask_txtest import isolate
from tests.core import _plain_app
from tests.core._plain_app import URL, metadata

CORE = pathlib.Path(__file__).resolve().parents[2] / "flask_txtest" / "core"
COVERED = {
    "concurrent.futures.thread._threads_queues",
    "sqlalchemy.Connection._execution_options",
    "sqlalchemy.Connection._run_ddl_visitor",
}


class ReliesOn(unittest.TestCase):
    def test_every_marker_in_core_is_checked_here(self) -> None:
        found = {
            name
            for path in CORE.rglob("*.py")
            for name in re.findall(r"# relies on: ([\w.]+)", path.read_text())
        }
        self.assertEqual(found, COVERED)

    def test_threads_queues_holds_the_workers_of_a_thread_pool(self) -> None:
        registry = concurrent.futures.thread._threads_queues  # type: ignore[attr-defined]
        with concurrent.futures.ThreadPoolExecutor(1) as executor:
            worker = executor.submit(threading.current_thread).result()
            self.assertIn(worker, registry)
        self.assertNotIn(threading.current_thread(), registry)

    def test_connection_execution_options_can_be_put_back_whole(self) -> None:
        engine = sa.create_engine("sqlite://")
        self.addCleanup(engine.dispose)
        with engine.connect() as connection:
            before = connection.get_execution_options()
            connection.execution_options(stream_results=True)
            self.assertIn("stream_results", connection.get_execution_options())
            connection._execution_options = before
            self.assertEqual(connection.get_execution_options(), before)

    def test_create_all_goes_through_run_ddl_visitor(self) -> None:
        self.assertTrue(callable(getattr(sa.Connection, "_run_ddl_visitor", None)))
        engine = sa.create_engine(URL)
        self.addCleanup(engine.dispose)
        extra = sa.MetaData()
        sa.Table("core_ddl_probe", extra, sa.Column("id", sa.Integer, primary_key=True))
        with isolate(_plain_app.make_app(), engines=[engine], metadata=metadata) as isolation:
            with engine.connect() as stand_in:
                extra.create_all(stand_in)
                # The stand-in saw the DDL (its own savepoint is open), so it went through
                # the stand-in's _run_ddl_visitor, not straight to the test connection.
                self.assertTrue(stand_in.in_transaction())
                stand_in.commit()
            self.assertIn("core_ddl_probe", sa.inspect(isolation.connection).get_table_names())
        self.assertNotIn("core_ddl_probe", sa.inspect(engine).get_table_names())


if __name__ == "__main__":
    unittest.main()
