"""A plain ``pip install flask-txtest`` on SQLAlchemy 2.1 brings no greenlet.

SQLAlchemy's asyncio extension refuses to import without it, and pytest loads the
plugin in every run of the environment: before the fix, ``import flask_txtest`` raised
ImportError and pytest exited 3 ("Error while loading plugin") in every project, even
one that never uses flask_txtest. Each check runs in a child interpreter in which
greenlet cannot be imported, as on such an install. ``make check-wheel`` does the same
from a real fresh virtual environment.
"""

from __future__ import annotations

import functools
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Makes ``import greenlet`` fail, as on an install without it.
WITHOUT_GREENLET = "import sys; sys.modules['greenlet'] = None\n"


def run_without_greenlet(code: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_GREENLET + textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@functools.cache
def asyncio_extension_needs_greenlet() -> bool:
    """SQLAlchemy 2.1's asyncio extension refuses to import without greenlet; 2.0's imports."""
    return run_without_greenlet("import sqlalchemy.ext.asyncio").returncode != 0


class WithoutGreenlet(unittest.TestCase):
    def test_the_block_really_hides_greenlet(self) -> None:
        result = run_without_greenlet("import greenlet")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ModuleNotFoundError", result.stderr)

    def test_sqlalchemys_asyncio_extension_needs_greenlet(self) -> None:
        # The counterpart: what an eager import of the extension met on a plain install.
        if not asyncio_extension_needs_greenlet():
            self.skipTest("this SQLAlchemy (2.0) imports its asyncio extension without greenlet")
        result = run_without_greenlet("import sqlalchemy.ext.asyncio")
        self.assertIn("greenlet", result.stderr)

    def test_import_flask_txtest_needs_no_greenlet(self) -> None:
        result = run_without_greenlet(
            """
            import flask_txtest
            from flask_txtest import TransactionalTestCase, isolate
            print("imported", TransactionalTestCase.__name__, isolate.__name__)
            """
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("imported TransactionalTestCase isolate", result.stdout)

    def test_pytest_in_an_unrelated_project_still_runs(self) -> None:
        with tempfile.TemporaryDirectory() as project:
            pathlib.Path(project, "test_unrelated.py").write_text("def test_one():\n    pass\n")
            result = run_without_greenlet(
                """
                import pytest
                sys.exit(pytest.main(["-q", "-p", "no:cacheprovider"]))
                """,
                cwd=project,
            )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("1 passed", result.stdout)

    def test_the_async_names_say_what_to_install(self) -> None:
        if not asyncio_extension_needs_greenlet():
            self.skipTest("this SQLAlchemy (2.0) imports its asyncio extension without greenlet")
        result = run_without_greenlet(
            """
            try:
                from flask_txtest import AsyncTransactionalTestCase
            except ImportError as error:
                print("ImportError:", error)
            """
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("ImportError: flask_txtest.AsyncTransactionalTestCase needs", result.stdout)
        self.assertIn("pip install 'flask-txtest[async]'", result.stdout)

    def test_a_sync_suite_runs(self) -> None:
        result = run_without_greenlet(
            """
            import unittest
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy
            from flask_txtest import TransactionalTestCase

            db = SQLAlchemy()

            class Note(db.Model):
                id = db.Column(db.Integer, primary_key=True)

            class Notes(TransactionalTestCase):
                def create_app(self):
                    app = Flask(__name__)
                    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
                    db.init_app(app)
                    return app

                def test_commit(self):
                    self.session.add(Note())
                    self.session.commit()
                    self.assertEqual(Note.query.count(), 1)

            result = unittest.main(argv=["x"], exit=False).result
            print("async extension imported:", "sqlalchemy.ext.asyncio" in sys.modules)
            sys.exit(not result.wasSuccessful())
            """
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("OK", result.stderr)
        self.assertIn("async extension imported: False", result.stdout)


if __name__ == "__main__":
    unittest.main()
