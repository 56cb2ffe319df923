"""docs/pytest.md's examples (examples/pytest_plugin/) pass under the plugin on each backend.

The docs checker (tests/docs/test_docs_examples.py) finds the page's blocks in those files;
this runs them, in a pytest subprocess, and then finds the tables empty from a fresh
connection.
"""

from __future__ import annotations

import typing as t
import unittest

from tests._backends import SERVERS, Backend, count_rows, delete_all, on_backends
from tests._pytest_runs import ROOT, copy_project, run_pytest

EXAMPLES = ROOT / "examples" / "pytest_plugin"
TABLES = ("pytest_doc_book", "pytest_doc_author")


@on_backends(*SERVERS)
class PytestPageExamplesTests(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def test_the_examples_pass_and_leave_the_tables_empty(self) -> None:
        self.addCleanup(delete_all, self.backend.url, *TABLES)
        project = copy_project(EXAMPLES, self.addCleanup)
        run = run_pytest(project, env={"DATABASE_URL": self.backend.url})
        self.assertEqual(run.summary(), {"passed": 6}, run.output)
        self.assertEqual(len(run.outcomes), 6, run.output)
        self.assertEqual(
            {table: count_rows(self.backend.url, table) for table in TABLES},
            dict.fromkeys(TABLES, 0),
        )


PORT = ROOT / "examples" / "pytest_port"
PORT_TABLE = "pytest_port_topic"


@on_backends("sqlite", "postgresql")
class CreateAllFixturePortTests(unittest.TestCase):
    """examples/pytest_port: a create_all/drop_all fixture replaced by the plugin."""

    backend: t.ClassVar[Backend]

    def run_port(self, *args: str) -> t.Any:
        self.addCleanup(delete_all, self.backend.url, PORT_TABLE)
        project = copy_project(PORT, self.addCleanup)
        return run_pytest(project, *args, env={"DATABASE_URL": self.backend.url})

    def test_the_ported_suite_passes_with_literal_ids_and_leaves_nothing(self) -> None:
        run = self.run_port()
        self.assertEqual(run.summary(), {"passed": 2}, run.output)
        self.assertEqual(count_rows(self.backend.url, PORT_TABLE), 0)

    def test_without_reset_sequences_postgresql_hands_out_new_ids(self) -> None:
        run = self.run_port("-o", "txtest_reset_sequences=false")
        if self.backend.dialect == "postgresql":
            # nextval is never rolled back: the second test's row is not id 1 (nor,
            # after earlier runs on this database, the first test's).
            second = "test_topics.py::test_so_does_the_first_topic_of_the_next_test"
            self.assertEqual(run.outcomes[second], "failed", run.output)
            self.assertIn("== {'id': 1}", run.output)
        else:  # SQLite gives rolled-back ids back by itself
            self.assertEqual(run.summary(), {"passed": 2}, run.output)


if __name__ == "__main__":
    unittest.main()
