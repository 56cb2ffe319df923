"""docs/configuration.md documents every setting the library has.

The settings are read from the code: the public class attributes and hooks of the
test case classes (assertions excepted: they are on the API page), the keyword
arguments of ``isolate()``, and every ``TXTEST_*`` environment variable named in
flask_txtest/. Each must appear on the page as inline code.
"""

from __future__ import annotations

import inspect
import pathlib
import re
import shutil
import tempfile
import unittest

import flask_txtest
from flask_txtest import AsyncTransactionalMixin, TransactionalMixin, isolate

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "configuration.md"
LIBRARY = ROOT / "flask_txtest"

# What a test calls rather than configures: listed on the API and query-assertion pages.
_NOT_SETTINGS = re.compile(r"^(assert|capture|get_context_variable)")
# What unittest itself defines and the mixins only extend.
_UNITTEST = {
    "setUp",
    "asyncSetUp",
    "setUpClass",
    "tearDown",
    "tearDownClass",
    "failureException",
    "run",
    "debug",
}


def settings_of(cls: type) -> set[str]:
    """Public names ``cls`` (and its flask_txtest bases) define: attributes and hooks."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("flask_txtest"):
            continue
        declared = set(vars(klass)) | set(getattr(klass, "__annotations__", {}))
        names |= {
            name for name in declared if not name.startswith("_") and not _NOT_SETTINGS.match(name)
        }
    return names - _UNITTEST


def environment_variables(library: pathlib.Path = LIBRARY) -> set[str]:
    """Every ``TXTEST_*`` name in the package's modules, subpackages included."""
    return {
        name
        for path in library.rglob("*.py")
        for name in re.findall(r"TXTEST_[A-Z_]+", path.read_text(encoding="utf-8"))
    }


def on_page() -> set[str]:
    """The inline code of the page's prose and tables (fenced blocks left out)."""
    text = re.sub(r"^```.*?^```", "", PAGE.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {re.sub(r"\(.*\)$", "", code) for code in re.findall(r"`([^`]+)`", text)} | {
        re.sub(r"^self\.", "", code) for code in re.findall(r"`(self\.[\w]+)", text)
    }


class ConfigurationPageTests(unittest.TestCase):
    def test_every_attribute_and_hook_of_the_test_cases_is_on_the_page(self):
        names = settings_of(TransactionalMixin) | settings_of(AsyncTransactionalMixin)
        self.assertIn("isolate_engines", names)  # the reader works
        self.assertIn("setUpTestData", names)
        missing = sorted(names - on_page())
        self.assertEqual(missing, [], "document these in docs/configuration.md")

    def test_every_keyword_of_isolate_is_on_the_page(self):
        parameters = set(inspect.signature(isolate.__wrapped__).parameters) - {"app"}
        self.assertIn("create_schema", parameters)
        missing = sorted(parameters - on_page())
        self.assertEqual(missing, [], "document these in docs/configuration.md")

    def test_every_environment_variable_is_on_the_page(self):
        variables = environment_variables()
        self.assertIn("TXTEST_ALLOW_DATABASE", variables)
        missing = sorted(variables - on_page())
        self.assertEqual(missing, [], "document these in docs/configuration.md")

    def test_the_page_names_no_attribute_the_library_lacks(self):
        text = PAGE.read_text(encoding="utf-8")
        table = text[text.index("| name | meaning | default |") : text.index("### Environment")]
        documented = set(re.findall(r"^\| `(\w+)", table, re.MULTILINE))
        documented |= set(re.findall(r"^\| `\w+`, `(\w+)`", table, re.MULTILINE))
        public = settings_of(TransactionalMixin) | settings_of(AsyncTransactionalMixin)
        self.assertEqual(sorted(documented - public), [])
        self.assertTrue(hasattr(flask_txtest, "TransactionalMixin"))


class TheCheckWalksSubpackages(unittest.TestCase):
    def test_a_variable_read_in_a_subpackage_module_is_found(self) -> None:
        work = pathlib.Path(tempfile.mkdtemp(prefix="txtest-configuration-"))
        self.addCleanup(shutil.rmtree, work)
        copy = work / "flask_txtest"
        shutil.copytree(LIBRARY, copy, ignore=shutil.ignore_patterns("__pycache__"))
        self.assertEqual(environment_variables(copy), environment_variables())
        module = copy / "core" / "deeper" / "undocumented.py"
        module.parent.mkdir()
        module.write_text('import os\n\nFLAG = os.environ.get("TXTEST_NOT_ON_THE_PAGE")\n')
        self.assertEqual(
            sorted(environment_variables(copy) - on_page()), ["TXTEST_NOT_ON_THE_PAGE"]
        )


if __name__ == "__main__":
    unittest.main()
