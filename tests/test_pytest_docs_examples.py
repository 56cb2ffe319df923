"""docs/pytest.md's examples (examples/pytest_plugin/) pass under the plugin on each backend.

The docs checker (tests/test_docs_examples.py) finds the page's blocks in those files;
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


if __name__ == "__main__":
    unittest.main()
