"""setUpTestData: data made once per class, each test in a savepoint inside it.

Every test sees the class data as it was made (whatever the test before changed or
deleted), gets it as fresh objects of its own session, and nothing reaches the
database for good. A naive setUpClass recipe is shown leaking changes between tests.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys
import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import ConfigurationError, TransactionalTestCase
from tests._backends import count_rows, delete_all, on_backends

ROOT_DIR = pathlib.Path(__file__).resolve().parents[2]
PERSON = "cd_person"
PET = "cd_pet"

db = SQLAlchemy()


class CdPerson(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = PERSON
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))
    pets: sa_orm.Mapped[list[CdPet]] = sa_orm.relationship(
        back_populates="owner", order_by="CdPet.id"
    )


class CdPet(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = PET
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))
    owner_id: sa_orm.Mapped[int] = sa_orm.mapped_column(sa.ForeignKey(f"{PERSON}.id"))
    owner: sa_orm.Mapped[CdPerson] = sa_orm.relationship(back_populates="pets")


def make_app(url: str) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)

    @app.get("/people")
    def people() -> t.Any:
        names = db.session.scalars(sa.select(CdPerson.name).order_by(CdPerson.name))
        return jsonify(list(names))

    return app


def names() -> list[str]:
    return list(db.session.scalars(sa.select(CdPerson.name).order_by(CdPerson.name)))


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class ClassData(TransactionalTestCase):
    backend: t.Any
    setups: t.ClassVar[int] = 0
    alice: CdPerson
    bob: CdPerson
    everyone: list[CdPerson]

    def create_app(self) -> Flask:
        return make_app(self.backend.url)

    @classmethod
    def setUpTestData(cls) -> None:
        cls.setups += 1
        cls.alice = CdPerson(name="alice", pets=[CdPet(name="rex"), CdPet(name="tom")])
        cls.bob = CdPerson(name="bob")
        db.session.add_all([cls.alice, cls.bob])
        db.session.commit()
        cls.everyone = [cls.alice, cls.bob]

    def assertAsMade(self) -> None:
        self.assertEqual(type(self).setups, 1)
        self.assertEqual(names(), ["alice", "bob"])
        self.assertEqual(self.alice.name, "alice")
        self.assertEqual([pet.name for pet in self.alice.pets], ["rex", "tom"])
        if not self.backend.is_memory:
            # Made in the class transaction: never committed.
            self.assertEqual(count_rows(self.backend.url, PERSON), 0)

    def test_1_sees_the_class_data(self) -> None:
        self.assertAsMade()
        self.assertEqual(self.client.get("/people").get_json(), ["alice", "bob"])

    def test_2_changes_and_deletes_class_data(self) -> None:
        self.assertAsMade()
        self.alice.name = "renamed"
        self.alice.pets[0].name = "renamed pet"
        self.session.delete(self.bob)
        self.session.add(CdPerson(name="carol"))
        self.session.commit()
        self.assertEqual(names(), ["carol", "renamed"])

    def test_3_sees_the_class_data_as_made_again(self) -> None:
        self.assertAsMade()
        self.assertEqual(self.bob.name, "bob")

    def test_4_objects_belong_to_the_tests_session(self) -> None:
        self.assertIn(self.alice, self.session)
        self.assertIs(self.session.get(CdPerson, self.alice.id), self.alice)
        self.assertIs(self.alice, self.alice)  # one copy per test
        self.assertIs(self.everyone[0], self.alice)
        self.assertIs(self.alice.pets[0].owner, self.alice)
        # The class keeps the objects setUpTestData made, untouched by the tests.
        made = type(self).__dict__["alice"].value
        self.assertIsNot(made, self.alice)
        self.assertEqual(sa.inspect(made).detached, True)

    def test_5_a_request_that_changes_class_data_is_rolled_back_too(self) -> None:
        self.alice.name = "via session"
        self.session.commit()
        self.assertEqual(self.client.get("/people").get_json(), ["bob", "via session"])

    def test_6_sees_the_class_data_as_made_again(self) -> None:
        self.assertAsMade()


@on_backends("sqlite", "postgresql")
class ClassDataUncommitted(TransactionalTestCase):
    """Added but not committed in setUpTestData: kept all the same."""

    backend: t.Any
    carol: CdPerson

    def create_app(self) -> Flask:
        return make_app(self.backend.url)

    @classmethod
    def setUpTestData(cls) -> None:
        cls.carol = CdPerson(name="carol", pets=[CdPet(name="kit")])
        db.session.add(cls.carol)

    def test_uncommitted_class_data_is_kept(self) -> None:
        self.assertEqual(names(), ["carol"])
        self.assertEqual(self.carol.pets[0].name, "kit")


@on_backends("sqlite", "postgresql", "mysql")
class ClassDataLifecycle(unittest.TestCase):
    backend: t.Any

    def run_class(self, case: type[unittest.TestCase]) -> unittest.TestResult:
        result = unittest.TestResult()
        # Through a suite, as the runners do: the suite runs the class cleanups.
        unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
        return result

    def test_rows_and_class_attributes_are_gone_after_the_class(self) -> None:
        url = self.backend.url
        seen: list[int] = []

        class Inner(TransactionalTestCase):
            def create_app(self) -> Flask:
                return make_app(url)

            @classmethod
            def setUpTestData(cls) -> None:
                db.session.add(CdPerson(name="dora"))
                cls.dora = CdPerson(name="dora2")
                db.session.add(cls.dora)

            def test_it(self) -> None:
                seen.append(len(names()))

        result = self.run_class(Inner)
        self.assertEqual((result.errors, result.failures, seen), ([], [], [2]))
        self.assertEqual(count_rows(url, PERSON), 0)
        self.assertNotIn("dora", Inner.__dict__)
        self.assertNotIn("_txtest_class_layer", Inner.__dict__)

    def test_a_failing_setuptestdata_fails_the_tests_and_leaves_nothing(self) -> None:
        url = self.backend.url

        class Inner(TransactionalTestCase):
            def create_app(self) -> Flask:
                return make_app(url)

            @classmethod
            def setUpTestData(cls) -> None:
                db.session.add(CdPerson(name="half"))
                db.session.flush()
                raise RuntimeError("broken class data")

            def test_it(self) -> None:
                pass

        result = self.run_class(Inner)
        self.assertEqual(len(result.errors), 1)
        self.assertIn("broken class data", result.errors[0][1])
        self.assertEqual(count_rows(url, PERSON), 0)

    def test_app_scope_test_is_refused(self) -> None:
        url = self.backend.url

        class Inner(TransactionalTestCase):
            app_scope = "test"

            def create_app(self) -> Flask:
                return make_app(url)

            @classmethod
            def setUpTestData(cls) -> None:
                pass

            def test_it(self) -> None:
                pass

        result = self.run_class(Inner)
        self.assertEqual(len(result.errors), 1)
        self.assertIn("app_scope is 'test'", result.errors[0][1])
        self.assertIn(ConfigurationError.__name__, result.errors[0][1])

    def test_naive_setupclass_recipe_leaks_changes_between_tests(self) -> None:
        """Without the library: class data committed in setUpClass; a test's change stays."""
        url = self.backend.url
        seen: list[str] = []

        class Naive(unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                cls.app = make_app(url)
                with cls.app.app_context():
                    db.create_all()
                    db.session.add(CdPerson(name="alice"))
                    db.session.commit()

            def test_1_renames(self) -> None:
                with self.app.app_context():
                    db.session.scalars(sa.select(CdPerson)).one().name = "renamed"
                    db.session.commit()

            def test_2_sees(self) -> None:
                with self.app.app_context():
                    seen.extend(names())

        try:
            result = self.run_class(Naive)
            self.assertEqual((result.errors, result.failures), ([], []))
            self.assertEqual(seen, ["renamed"])  # the first test's change leaked
            self.assertEqual(count_rows(url, PERSON), 1)  # and the row is still there
        finally:
            delete_all(url, PERSON)


@on_backends("sqlite", "postgresql")
class ClassDataUnderBothRunners(unittest.TestCase):
    """The class transaction closes after the class, under unittest and under pytest."""

    backend: t.Any

    def run_suite(self, *command: str) -> None:
        env = dict(os.environ, TXTEST_CLASSDATA_URL=self.backend.url, PYTHONPATH=str(ROOT_DIR))
        done = subprocess.run(
            [sys.executable, "-m", *command],
            cwd=ROOT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(count_rows(self.backend.url, "cds_item"), 0)

    def test_unittest(self) -> None:
        self.run_suite("unittest", "tests.classdata_suite")

    @unittest.skipUnless(importlib.util.find_spec("pytest"), "pytest is not installed here")
    def test_pytest(self) -> None:
        self.run_suite("pytest", "-q", "-p", "no:cacheprovider", "tests/classdata_suite.py")
