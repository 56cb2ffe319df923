"""Where a ``data_fixture`` may be defined: found by the function itself, with no frame.

The data part of a data fixture is a second fixture put next to the public one. At the
top level of a module or conftest.py it goes in the function's module
(``function.__globals__``); in a class body, in the class once Python makes it
(``__set_name__``). (A function defined inside another function is refused:
tests/faults/test_pytest_plugin_faults.py.)
"""

from __future__ import annotations

import pathlib
import unittest

from tests._pytest_runs import run_pytest, write_project

SHELFAPP = """
    import pathlib

    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()


    class Book(db.Model):
        __tablename__ = "placement_book"
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(50))


    def create_app():
        app = Flask(__name__)
        path = pathlib.Path(__file__).parent / "test_placement.db"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
        db.init_app(app)
        return app
"""

CONFTEST = """
    import pytest

    from flask_txtest.pytest_plugin import data_fixture
    from shelfapp import Book, create_app, db


    @pytest.fixture(scope="session")
    def app():
        return create_app()


    @data_fixture(scope="module")
    def from_conftest():
        book = Book(title="conftest")
        db.session.add(book)
        return book
"""

TESTS = """
    from flask_txtest.pytest_plugin import data_fixture
    from shelfapp import Book, db


    def titles():
        return sorted(book.title for book in db.session.query(Book))


    @data_fixture(scope="module")
    def from_module(from_conftest):
        book = Book(title="module")
        db.session.add(book)
        return [book, from_conftest]


    def test_module_and_conftest(from_module, txtest_session):
        assert [book.title for book in from_module] == ["module", "conftest"]
        assert from_module[0] in txtest_session
        assert titles() == ["conftest", "module"]


    class TestInClass:
        @data_fixture(scope="class")
        def from_class(from_module):
            book = Book(title="class")
            db.session.add(book)
            return book

        def test_class_data(self, from_class):
            assert from_class.title == "class"
            assert titles() == ["class", "conftest", "module"]


    class TestInherits(TestInClass):
        @data_fixture(scope="class")
        def from_subclass(from_class):
            book = Book(title=f"sub of {from_class.title}")
            db.session.add(book)
            return book

        def test_both(self, from_class, from_subclass):
            assert from_subclass.title == "sub of class"


    def test_the_class_data_is_gone(from_module):
        assert titles() == ["conftest", "module"]


    def make_case():
        class TestMadeInAFunction:
            @data_fixture(scope="class")
            def made(from_module):
                book = Book(title="made")
                db.session.add(book)
                return book

            def test_made(self, made):
                assert made.title == "made"

        return TestMadeInAFunction


    TestMadeInAFunction = make_case()
"""


class PlacementTests(unittest.TestCase):
    def test_module_conftest_class_subclass_and_a_class_made_in_a_function(self) -> None:
        project = write_project(
            {"shelfapp.py": SHELFAPP, "conftest.py": CONFTEST, "test_shelf.py": TESTS},
            self.addCleanup,
        )
        run = run_pytest(project)
        self.assertEqual(
            run.outcomes,
            {
                "test_shelf.py::test_module_and_conftest": "passed",
                "test_shelf.py::TestInClass::test_class_data": "passed",
                "test_shelf.py::TestInherits::test_class_data": "passed",
                "test_shelf.py::TestInherits::test_both": "passed",
                "test_shelf.py::test_the_class_data_is_gone": "passed",
                "test_shelf.py::TestMadeInAFunction::test_made": "passed",
            },
            run.output,
        )

    def test_no_frame_is_read(self) -> None:
        import flask_txtest.pytest.data_fixtures as module

        source = pathlib.Path(module.__file__ or "").read_text(encoding="utf-8")
        self.assertNotIn("_getframe", source)
        self.assertNotIn("currentframe", source)
