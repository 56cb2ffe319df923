"""The Alchemical recipe (examples/docs/recipes_alchemical.py) on every backend.

The recipe's tests run against a real Alchemical app on each database; afterwards a
fresh connection finds its table empty.
"""

from __future__ import annotations

import typing as t
import unittest

from examples.docs import recipes_alchemical as recipe
from tests._backends import Backend, count_rows, on_backends
from tests.faults._support import run_case

TABLE = recipe.User.__tablename__


@on_backends()
class AlchemicalRecipeTest(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def test_the_recipe_passes_and_leaves_nothing(self) -> None:
        url = self.backend.url

        class OnBackend(recipe.UserTests):
            def create_app(self):  # type: ignore[no-untyped-def]
                return recipe.create_app(url)

        result = run_case(OnBackend)
        self.assertEqual(result.testsRun, 2)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        if not self.backend.is_memory:
            self.assertEqual(count_rows(url, TABLE), 0)


if __name__ == "__main__":
    unittest.main()
