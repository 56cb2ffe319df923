"""The test cases hook into unittest by its public methods only.

An overridden ``_callTestMethod`` (unittest's private step that calls the test method)
put a frame of the library between unittest's and the test's, and was all a failure's
report showed; ``run()`` / ``debug()`` and the instance's own ``setUp`` do the job
(``flask_txtest.unittest.lifecycle``). No class of the package may bring it back.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import unittest

import flask_txtest

PACKAGE = pathlib.Path(flask_txtest.__file__).parent
#: unittest's private methods a test case could be tempted to override.
PRIVATE_STEPS = ("_callTestMethod", "_callSetUp", "_callTearDown", "_callCleanup")


def package_classes() -> list[type]:
    classes = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        module = importlib.import_module(name)
        classes.extend(
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj) and obj.__module__ == module.__name__
        )
    return classes


class NoPrivateHooks(unittest.TestCase):
    def test_no_class_of_the_package_overrides_unittests_private_steps(self) -> None:
        classes = package_classes()
        self.assertIn(flask_txtest.TransactionalMixin, classes)
        self.assertIn(flask_txtest.AsyncTransactionalTestCase, classes)
        overriding = sorted(
            f"{cls.__module__}.{cls.__qualname__}.{step}"
            for cls in classes
            for step in PRIVATE_STEPS
            if step in vars(cls)
        )
        self.assertEqual(overriding, [])
