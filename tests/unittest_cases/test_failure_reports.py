"""A failing test's report names the test's own file and line, under unittest and pytest.

unittest trims a failure's traceback at the first unittest frame after the test's code;
a library frame between unittest's and the test method would be all the report showed
(``File ".../flask_txtest/_testcase.py", line 160, in _callTestMethod``). The suite
below fails in every kind of test case, in the test body and in ``setUp``, and is run
as a user runs it: ``python -m unittest`` and ``pytest`` in a subprocess.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import unittest

from tests._pytest_runs import ROOT, run_pytest, write_project

SUITE = """
import unittest

from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import AsyncTransactionalTestCase, TransactionalMixin, TransactionalTestCase
from flask_txtest.flask_testing import TestCase

db = SQLAlchemy()


class Note(db.Model):
    __tablename__ = "report_note"
    id = db.Column(db.Integer, primary_key=True)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)
    return app


class ProjectTestCase(unittest.TestCase):
    pass


class Plain(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def test_fails(self):
        self.assertEqual(Note.query.count(), 3)  # line: Plain


class Mixed(TransactionalMixin, ProjectTestCase):
    def create_app(self):
        return create_app()

    def test_fails(self):
        self.assertEqual(2, 3)  # line: Mixed


class Async(AsyncTransactionalTestCase):
    def create_app(self):
        return create_app()

    async def test_fails(self):
        self.assertEqual(2, 3)  # line: Async


class FlaskTesting(TestCase):
    def create_app(self):
        return create_app()

    def test_fails(self):
        self.assertEqual(request.path, "/nowhere")  # line: FlaskTesting


class FailingSetUp(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def setUp(self):
        self.assertEqual("setUp", "fails")  # line: FailingSetUp

    def test_fails(self):
        pass
"""

CASES = ("Plain", "Mixed", "Async", "FlaskTesting", "FailingSetUp")
MODULE = "test_report_suite.py"


def marked_lines() -> dict[str, int]:
    return {
        match.group(1): number
        for number, line in enumerate(SUITE.lstrip("\n").splitlines(), 1)
        if (match := re.search(r"# line: (\w+)$", line))
    }


class FailureReports(unittest.TestCase):
    project: pathlib.Path

    @classmethod
    def setUpClass(cls) -> None:
        cls.project = write_project({MODULE: SUITE}, cls.addClassCleanup)

    def test_python_m_unittest_reports_the_tests_own_line(self) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(self.project), str(ROOT)]))
        done = subprocess.run(
            [sys.executable, "-m", "unittest", "test_report_suite"],
            cwd=self.project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertIn("FAILED (failures=5)", done.stderr, done.stderr)
        path = str(self.project / MODULE)
        blocks = done.stderr.split("=" * 70)[1:]
        self.assertEqual(len(blocks), len(CASES), done.stderr)
        for name, line in marked_lines().items():
            with self.subTest(case=name):
                # "test_fails (test_report_suite.Plain.test_fails)"; 3.10 ends at the class.
                (block,) = [each for each in blocks if re.search(rf"\(\S+\.{name}[.)]", each)]
                frames = re.findall(r'File "([^"]+)", line (\d+)', block)
                self.assertIn((path, str(line)), frames, block)
                # The report ends at the test's line, not in a frame of the library.
                self.assertEqual(frames[-1], (path, str(line)), block)
                self.assertNotIn("flask_txtest", block.split("Traceback")[1], block)

    def test_pytest_reports_the_tests_own_line(self) -> None:
        run = run_pytest(self.project, MODULE)
        self.assertEqual(run.summary().get("failed"), len(CASES), run.output)
        for name, line in marked_lines().items():
            with self.subTest(case=name):
                self.assertIn(f"{MODULE}:{line}: AssertionError", run.output)
