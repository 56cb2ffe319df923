"""The Alchemical recipe (examples/docs/recipes_alchemical.py) on every backend.

The recipe's tests run against a real Alchemical app on each database; afterwards a
fresh connection finds its table empty.
"""

from __future__ import annotations

import typing as t
import unittest

from tests._backends import (
    ALCHEMICAL_INSTALLED,
    ALCHEMICAL_MISSING,
    SERVERS,
    Backend,
    count_rows,
    on_backends,
)
from tests._pytest_runs import ROOT, copy_project, run_pytest
from tests.faults._support import run_case

if ALCHEMICAL_INSTALLED:
    from examples.docs import recipes_alchemical as recipe

TABLE = "recipe_alchemical_user"


@on_backends()
@unittest.skipUnless(ALCHEMICAL_INSTALLED, ALCHEMICAL_MISSING)
class AlchemicalRecipeTest(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def test_the_recipe_passes_and_leaves_nothing(self) -> None:
        url = self.backend.url

        class OnBackend(recipe.UserTests):
            def create_app(self):  # type: ignore[no-untyped-def]
                return recipe.create_app(url)

        result = run_case(OnBackend)
        recipe.db.get_engine().dispose()  # made by this create_app: free its connections
        self.assertEqual(result.testsRun, 2)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        if not self.backend.is_memory:
            self.assertEqual(count_rows(url, TABLE), 0)


@on_backends(*SERVERS)
@unittest.skipUnless(ALCHEMICAL_INSTALLED, ALCHEMICAL_MISSING)
class AlchemicalUnderPytestTest(unittest.TestCase):
    """examples/pytest_alchemical: mocked-sessionmakers and txtest_metadata name it."""

    backend: t.ClassVar[Backend]

    def test_the_example_passes_and_leaves_nothing(self) -> None:
        project = copy_project(ROOT / "examples" / "pytest_alchemical", self.addCleanup)
        run = run_pytest(project, env={"DATABASE_URL": self.backend.url})
        self.assertEqual(run.summary(), {"passed": 2}, run.output)
        self.assertEqual(count_rows(self.backend.url, "recipe_alchemical_member"), 0)


if __name__ == "__main__":
    unittest.main()
