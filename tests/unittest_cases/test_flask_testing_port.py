"""examples/flask_testing_port: Flask-Testing suites that pass after one changed import.

``test_blog.py`` uses Flask-Testing's ``TestCase``; ``test_live_blog.py`` its
``LiveServerTestCase``, driving headless Chromium through Selenium (skipped, saying
why, where no browser is installed).

The ported suite runs on every server backend (in a subprocess, as a user would run
it) and leaves no rows; the suite differs from a Flask-Testing suite only in its
TestCase import. Without isolation, the same request leaves its row behind.
"""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys
import typing as t
import unittest

from examples.browser.chromium import chromium_required
from tests._backends import count_rows, delete_all, on_backends

ROOT = pathlib.Path(__file__).resolve().parents[2]
SUITE = ROOT / "examples" / "flask_testing_port" / "test_blog.py"
LIVE_SUITE = ROOT / "examples" / "flask_testing_port" / "test_live_blog.py"
PORTED_IMPORT = "from flask_txtest.flask_testing import TestCase"
PORTED_LIVE_IMPORT = "from flask_txtest.flask_testing import LiveServerTestCase"
POST = "ftp_post"


class PortedSource(unittest.TestCase):
    def test_only_the_testcase_import_names_flask_txtest(self) -> None:
        self.assert_only_the_import_changed(SUITE, PORTED_IMPORT, "TestCase")

    def test_only_the_live_server_testcase_import_names_flask_txtest(self) -> None:
        self.assert_only_the_import_changed(LIVE_SUITE, PORTED_LIVE_IMPORT, "LiveServerTestCase")

    def assert_only_the_import_changed(self, suite: pathlib.Path, ported: str, name: str) -> None:
        source = suite.read_text(encoding="utf-8")
        lines = [line for line in source.splitlines() if line.startswith(ported)]
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].endswith("# was: flask_testing"))
        original = source.replace(lines[0], f"from flask_testing import {name}")
        imports = [
            node
            for node in ast.walk(ast.parse(original))
            if isinstance(node, (ast.Import, ast.ImportFrom))
        ]
        modules = {getattr(node, "module", None) for node in imports}
        self.assertIn("flask_testing", modules)
        self.assertNotIn("flask_txtest", modules)
        self.assertNotIn("flask_txtest", original.split('"""', 2)[2])


@on_backends("sqlite", "postgresql", "mysql")
class PortedSuiteRuns(unittest.TestCase):
    backend: t.Any

    def test_the_suite_passes_and_leaves_no_rows(self) -> None:
        env = dict(os.environ, BLOG_DATABASE_URL=self.backend.url, PYTHONPATH=str(ROOT))
        done = subprocess.run(
            [sys.executable, "-m", "unittest", "-v", "examples.flask_testing_port.test_blog"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("Ran 14 tests", done.stderr)
        self.assertEqual(count_rows(self.backend.url, POST), 0)

    @chromium_required
    def test_the_live_server_suite_passes_in_chromium_and_leaves_no_rows(self) -> None:
        env = dict(os.environ, BLOG_DATABASE_URL=self.backend.url, PYTHONPATH=str(ROOT))
        done = subprocess.run(
            [sys.executable, "-m", "unittest", "-v", "examples.flask_testing_port.test_live_blog"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("Ran 4 tests", done.stderr)
        self.assertNotIn("skipped", done.stderr)
        self.assertEqual(count_rows(self.backend.url, POST), 0)

    def test_without_isolation_the_same_request_leaves_its_row(self) -> None:
        from examples.flask_testing_port.blog import create_app, db

        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": self.backend.url})
        with app.app_context():
            db.create_all()
        try:
            response = app.test_client().post("/api/posts", json={"title": "leaked"})
            self.assertEqual(response.status_code, 201)
            self.assertEqual(count_rows(self.backend.url, POST), 1)
        finally:
            delete_all(self.backend.url, POST)
            with app.app_context():
                db.engine.dispose()
