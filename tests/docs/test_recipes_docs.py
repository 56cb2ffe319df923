"""The recipes in docs/recipes.md are true: their code is run here, and is what the docs show.

Each fenced ``python`` block of the page follows a ``<!-- example: path -->`` comment and
must appear verbatim in that module of ``examples/recipes/``; the modules' test cases are
imported below, so they run with the suite.
"""

from __future__ import annotations

import pathlib
import re
import unittest

from examples.recipes.plain_sqlalchemy import NoteTest
from examples.recipes.raw_engine import QueueTest
from examples.recipes.sqlite_savepoints import SqliteTagTest
from examples.recipes.threads import ReportTest
from examples.recipes.unit_of_work import BatchTest
from tests._backends import LITE_INSTALLED

if LITE_INSTALLED:
    from examples.recipes.lite import TagTest

ROOT = pathlib.Path(__file__).resolve().parents[2]
RECIPES = ROOT / "docs" / "recipes.md"
BLOCK = re.compile(r"<!-- example: (?P<path>\S+) -->\n```python\n(?P<code>.*?)\n```", re.S)

__all__ = ["BatchTest", "NoteTest", "QueueTest", "ReportTest", "SqliteTagTest"]
if LITE_INSTALLED:
    __all__ += ["TagTest"]


class RecipesMatchExamplesTest(unittest.TestCase):
    def test_every_python_block_is_copied_from_its_example(self) -> None:
        text = RECIPES.read_text()
        blocks = list(BLOCK.finditer(text))
        self.assertEqual(len(blocks), text.count("```python"), "a block without its example")
        self.assertEqual(len(blocks), 7)
        for block in blocks:
            source = (ROOT / block["path"]).read_text()
            self.assertIn(block["code"], source, f"docs/recipes.md differs from {block['path']}")

    def test_every_example_module_is_run_here(self) -> None:
        modules = {
            case.__module__ for case in (BatchTest, NoteTest, QueueTest, ReportTest, SqliteTagTest)
        }
        if LITE_INSTALLED:
            modules.add(TagTest.__module__)
        on_disk = {
            f"examples.recipes.{path.stem}"
            for path in (ROOT / "examples" / "recipes").glob("*.py")
            if not path.stem.startswith("_") and (LITE_INSTALLED or path.stem != "lite")
        }
        self.assertEqual(modules, on_disk)
