"""The hand-written recipes of docs/migrating.md fail where the page says, on real databases.

Each recipe of ``examples/hand_written/`` runs the same tests (``OrderScenarios``). For
each, this module runs the recipe's TestCase, then checks the outcome the page
describes: the test's failure, and the rows that stayed in the database, counted from
a fresh connection (and deleted afterwards). The same tests on flask_txtest pass and
leave nothing behind.
"""

from __future__ import annotations

import importlib
import typing as t
import unittest
import warnings

import sqlalchemy as sa

from tests._backends import LITE_INSTALLED, LITE_MISSING, count_rows, delete_all, on_backends

TABLE = "hand_written_order"
DUPLICATE = "test_a_duplicate_is_refused_and_the_next_order_placed"
BULK = "test_a_bulk_import"
ONE_ORDER = "test_an_order_placed_through_the_api"
ASYNC_ORDER = "test_an_order_placed_through_an_async_view"
SQLALCHEMY_2_1 = tuple(int(part) for part in sa.__version__.split(".")[:2]) >= (2, 1)


class Outcome(t.NamedTuple):
    result: unittest.TestResult
    leaked: int
    items: list[str]
    warnings: list[str]

    @property
    def problems(self) -> str:
        return "\n".join(trace for _, trace in self.result.errors + self.result.failures)


def close_pools(app: t.Any) -> None:
    """Close the pooled connections of the sync engines a recipe's app made."""
    extension = app.extensions.get("sqlalchemy") if app is not None else None
    if extension is None:
        return
    with app.app_context():
        for engine in getattr(extension, "engines", {}).values():
            engine.dispose()


class RecipeChecks(unittest.TestCase):
    backend: t.Any

    def setUp(self) -> None:
        # The examples read their database from the environment; point them at ours.
        urls = {"shop": self.backend.url}
        if LITE_INSTALLED:
            urls.update(lite_shop=self.backend.url, async_shop=self.backend.async_url)
        for name, url in urls.items():
            module = importlib.import_module(f"examples.hand_written.{name}")
            self.addCleanup(setattr, module, "DATABASE_URL", module.DATABASE_URL)
            module.DATABASE_URL = url
        self.addCleanup(self.clean)
        self.clean()

    def clean(self) -> None:
        try:
            delete_all(self.backend.url, TABLE)
        except sa.exc.ProgrammingError:  # the table is not there yet
            pass
        except sa.exc.OperationalError:
            pass

    def run_recipe(self, module: str, *tests: str) -> Outcome:
        """Run ``tests`` of ``examples.hand_written.<module>.OrderTests``; see what stayed."""
        case = importlib.import_module(f"examples.hand_written.{module}").OrderTests
        # A fresh subclass per run: flask_txtest keeps the app of a class for its tests.
        case = type(case.__name__, (case,), {"__module__": case.__module__})
        result = unittest.TestResult()
        instances = [case(name) for name in tests]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", sa.exc.SAWarning)
            unittest.TestSuite(instances).run(result)
        self.assertEqual(result.testsRun, len(tests))
        for instance in instances:
            close_pools(getattr(instance, "app", None))
        engine = sa.create_engine(self.backend.url, poolclass=sa.NullPool)
        try:
            with engine.connect() as connection:
                items = connection.scalars(sa.text(f"SELECT item FROM {TABLE} ORDER BY item"))
                items = list(items)
        finally:
            engine.dispose()
        said = [str(warning.message) for warning in caught]
        return Outcome(result, count_rows(self.backend.url, TABLE), items, said)

    def assertPassedAndLeaked(self, outcome: Outcome, leaked: int) -> None:
        self.assertTrue(outcome.result.wasSuccessful(), outcome.problems)
        self.assertEqual(outcome.leaked, leaked)


@on_backends("sqlite", "postgresql", "mysql")
class BoundSessionRecipe(RecipeChecks):
    def test_the_original_recipe_no_longer_runs_on_flask_sqlalchemy_3(self) -> None:
        from examples.hand_written.shop import db

        with self.assertRaisesRegex(AttributeError, "create_scoped_session"):
            db.create_scoped_session(options={"bind": None})

    def test_a_view_commits_for_good_though_the_test_passes(self) -> None:
        # Flask-SQLAlchemy 3's Session.get_bind ignores the session's bind: every
        # statement goes through db.engine, on a connection of its own.
        outcome = self.run_recipe("before_bound_session", ONE_ORDER)
        self.assertPassedAndLeaked(outcome, leaked=1)
        self.assertEqual(outcome.items, ["lamp"])


@on_backends("sqlite", "postgresql", "mysql")
class SwappedEnginesRecipe(RecipeChecks):
    def test_a_plain_commit_is_rolled_back(self) -> None:
        self.assertPassedAndLeaked(self.run_recipe("before_swap_engines", ONE_ORDER), 0)

    def test_a_rollback_in_a_view_ends_the_test_transaction(self) -> None:
        # Without create_savepoint, the view's rollback() rolls the connection's own
        # transaction back: the first order is gone, and the next one commits for good.
        outcome = self.run_recipe("before_swap_engines", DUPLICATE)
        self.assertEqual(len(outcome.result.failures), 1, outcome.problems)
        self.assertIn("{'count': 1} != {'count': 2}", outcome.problems)
        self.assertEqual(outcome.items, ["desk"])
        # SQLAlchemy notices too, when tearDown rolls back a transaction already gone.
        self.assertIn("transaction already deassociated from connection", outcome.warnings)

    def test_raw_engine_begin_in_a_view_raises(self) -> None:
        # db.engine is now the test's Connection, already in a transaction.
        outcome = self.run_recipe("before_swap_engines", BULK)
        self.assertEqual(len(outcome.result.errors), 1, outcome.problems)
        self.assertIn("InvalidRequestError", outcome.problems)
        self.assertIn("already initialized a SQLAlchemy Transaction", outcome.problems)
        self.assertEqual(outcome.leaked, 0)


@on_backends("sqlite", "postgresql", "mysql")
class ExternalTransactionRecipe(RecipeChecks):
    def test_what_the_views_commit_stays_though_every_test_passes_alone(self) -> None:
        # The test's session joins the transaction; the app's db.session never sees it.
        outcome = self.run_recipe("before_external_transaction", ONE_ORDER)
        self.assertPassedAndLeaked(outcome, leaked=1)
        self.clean()
        outcome = self.run_recipe("before_external_transaction", BULK)
        self.assertPassedAndLeaked(outcome, leaked=2)
        self.assertEqual(outcome.items, ["desk", "lamp"])

    def test_so_the_next_test_fails_on_the_rows_left_behind(self) -> None:
        outcome = self.run_recipe("before_external_transaction", ONE_ORDER, BULK)
        self.assertFalse(outcome.result.wasSuccessful())
        self.assertIn("IntegrityError", outcome.problems)


@on_backends("sqlite", "postgresql", "mysql")
class LiteTestIsolation(RecipeChecks):
    def setUp(self) -> None:
        if not LITE_INSTALLED:
            self.skipTest(LITE_MISSING)
        super().setUp()

    def test_on_sqlalchemy_2_1_a_commit_recurses_and_stays(self) -> None:
        if not SQLALCHEMY_2_1:
            self.skipTest("Lite's test_isolation() breaks on SQLAlchemy 2.1 (ticket 11163)")
        # The session adopts the engine's patched connection, whose begin() is
        # begin_nested(), which autobegins through begin(): RecursionError, after the
        # row reached the database for good.
        outcome = self.run_recipe("before_lite", ONE_ORDER)
        self.assertIn("RecursionError", outcome.problems)
        self.assertEqual(outcome.items, ["lamp"])

    def test_flask_txtest_runs_the_same_tests_and_leaves_nothing(self) -> None:
        outcome = self.run_recipe("after_lite", DUPLICATE, BULK, ONE_ORDER)
        self.assertPassedAndLeaked(outcome, leaked=0)


@on_backends("sqlite", "postgresql", "mysql")
class AsyncViewRecipe(RecipeChecks):
    def setUp(self) -> None:
        if not LITE_INSTALLED:
            self.skipTest(LITE_MISSING)
        super().setUp()

    def test_the_test_client_cannot_call_an_async_view_from_an_async_test(self) -> None:
        outcome = self.run_recipe("before_async", ASYNC_ORDER)
        self.assertIn(
            "RuntimeError: You cannot use AsyncToSync in the same thread as an async event loop",
            outcome.problems,
        )
        self.assertEqual(outcome.leaked, 0)

    def test_flask_txtest_runs_the_async_view_inside_the_test_transaction(self) -> None:
        outcome = self.run_recipe("after_async", ASYNC_ORDER)
        self.assertPassedAndLeaked(outcome, leaked=0)


@on_backends("sqlite", "postgresql", "mysql")
class AfterMigrating(RecipeChecks):
    def test_every_scenario_passes_in_one_run_and_leaves_nothing(self) -> None:
        # One run: each test reuses the UNIQUE item "lamp", so each must start clean.
        outcome = self.run_recipe("after", DUPLICATE, BULK, ONE_ORDER)
        self.assertPassedAndLeaked(outcome, leaked=0)


if __name__ == "__main__":
    unittest.main()
