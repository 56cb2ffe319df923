"""pytest-flask-sqlalchemy's README examples, on Flask-SQLAlchemy 3, pass under the plugin.

examples/pytest_flask_sqlalchemy/ holds the README's conftest (``_db``), its tests using
``db_session`` and ``db_engine``, and its ``mocked-*`` configuration. They run here in
a pytest subprocess against each backend (``TEST_DATABASE_URL``, as in that project's
own suite); afterwards a fresh connection finds only the row the conftest made, as
it made it.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa

from tests._backends import SERVERS, Backend, delete_all, fresh_engine, on_backends
from tests._pytest_runs import ROOT, copy_project, run_pytest

EXAMPLES = ROOT / "examples" / "pytest_flask_sqlalchemy"
TABLE = "example_table"
TESTS = 11


@on_backends(*SERVERS)
class ReadmeExamplesTests(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def rows(self) -> list[tuple[int, str]]:
        engine = fresh_engine(self.backend.url)
        try:
            with engine.connect() as connection:
                query = sa.text(f"SELECT id, name FROM {TABLE} ORDER BY id")
                return [(row.id, row.name) for row in connection.execute(query)]
        finally:
            engine.dispose()

    def test_the_readme_examples_pass_and_leave_only_the_conftest_row(self) -> None:
        self.addCleanup(delete_all, self.backend.url, TABLE)
        project = copy_project(EXAMPLES, self.addCleanup)
        run = run_pytest(project, env={"TEST_DATABASE_URL": self.backend.url})
        self.assertEqual(run.summary(), {"passed": TESTS}, run.output)
        self.assertEqual(set(run.outcomes.values()), {"passed"}, run.output)
        self.assertEqual(run.returncode, 0, run.output)
        self.assertEqual(self.rows(), [(1, "initial")])


if __name__ == "__main__":
    unittest.main()
