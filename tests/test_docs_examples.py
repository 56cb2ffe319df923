"""The docs cannot drift: every ``python`` block runs, and the examples pass.

1. Every fenced ``python`` block of docs/*.md and README.md appears verbatim (up to a
   common indentation) in a file under examples/, unless the line before it is
   ``<!-- not run: reason -->``.
2. Every module of examples/docs/ holds TestCases, and they pass.
3. The todo app's suite (``make demo``) passes.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import pathlib
import re
import textwrap
import unittest

from tests._backends import LITE_INSTALLED, LITE_MISSING

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[ \t]*$")
_NOT_RUN = re.compile(r"^\s*<!--\s*not run:\s*(?P<reason>.*?)\s*-->\s*$")


@dataclasses.dataclass
class Block:
    path: pathlib.Path
    line: int  # 1-based line of the opening fence
    code: str
    not_run_reason: str | None

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def python_blocks(path: pathlib.Path, text: str) -> list[Block]:
    """The fenced ``python`` blocks of a Markdown text, dedented, with their markers."""
    blocks = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if opening["lang"] in ("python", "py"):
            previous = next((line for line in reversed(lines[:index]) if line.strip()), "")
            marker = _NOT_RUN.match(previous)
            blocks.append(
                Block(
                    path=path,
                    line=index + 1,
                    code=textwrap.dedent("\n".join(lines[index + 1 : end])).strip(),
                    not_run_reason=marker["reason"] if marker else None,
                )
            )
        index = end + 1
    return blocks


def contains_block(source: str, code: str) -> bool:
    """Whether ``source`` holds ``code`` as whole lines, verbatim, at any common indentation."""
    wanted = code.splitlines()
    lines = source.splitlines()
    for start in range(len(lines) - len(wanted) + 1):
        window = "\n".join(lines[start : start + len(wanted)])
        if textwrap.dedent(window).strip() == code:
            return True
    return False


def doc_files() -> list[pathlib.Path]:
    files = sorted((ROOT / "docs").glob("*.md"))
    readme = ROOT / "README.md"
    return [*files, readme] if readme.exists() else files


def example_sources() -> dict[pathlib.Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for path in sorted(EXAMPLES.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def run_quietly(suite: unittest.TestSuite) -> tuple[unittest.TestResult, str]:
    stream = io.StringIO()
    result = unittest.TextTestRunner(stream=stream, verbosity=2).run(suite)
    return result, stream.getvalue()


class BlockParsingTests(unittest.TestCase):
    """The checker itself: it finds blocks and markers, and it can fail."""

    TEXT = textwrap.dedent(
        """\
        # Page

        ```python
        x = 1
        ```

        <!-- not run: needs a real server -->

        ```python
        connect()
        ```

        ```text
        not python
        ```

        - a list item:

            ```python
            def f():
                return 2
            ```
        """
    )

    def test_finds_python_blocks_their_lines_and_not_run_markers(self):
        blocks = python_blocks(ROOT / "page.md", self.TEXT)
        self.assertEqual(
            [block.code for block in blocks], ["x = 1", "connect()", "def f():\n    return 2"]
        )
        self.assertEqual([block.line for block in blocks], [3, 9, 19])
        self.assertEqual(
            [block.not_run_reason for block in blocks], [None, "needs a real server", None]
        )

    def test_a_block_must_match_whole_lines_in_order(self):
        source = "class T:\n    def f():\n        return 2\n"
        self.assertTrue(contains_block(source, "def f():\n    return 2"))
        self.assertFalse(contains_block(source, "def f():\n    return 3"))
        self.assertFalse(contains_block(source, "def g():\n    return 2"))
        # A block whose first line lost its indentation is not what the file says.
        self.assertFalse(contains_block(source, "def f():\n        return 2"))
        self.assertFalse(contains_block(source, "f():\n    return 2"))


class DocsMatchExamplesTests(unittest.TestCase):
    def test_the_core_pages_have_python_blocks(self):
        for name in (
            "README.md",
            "docs/quickstart.md",
            "docs/configuration.md",
            "docs/how-it-works.md",
        ):
            path = ROOT / name
            with self.subTest(page=name):
                blocks = python_blocks(path, path.read_text(encoding="utf-8"))
                self.assertTrue(any(block.not_run_reason is None for block in blocks))

    def test_every_python_block_is_in_examples(self):
        sources = example_sources()
        checked = 0
        for path in doc_files():
            for block in python_blocks(path, path.read_text(encoding="utf-8")):
                with self.subTest(block=block.where()):
                    if block.not_run_reason is not None:
                        self.assertTrue(
                            block.not_run_reason, "<!-- not run: ... --> must give a reason"
                        )
                        continue
                    checked += 1
                    found = [p for p, text in sources.items() if contains_block(text, block.code)]
                    self.assertTrue(
                        found,
                        f"The python block at {block.where()} is in no file under examples/. "
                        "Put it, verbatim, in an examples/docs/<page>_*.py TestCase module "
                        "(or mark it <!-- not run: reason -->). It begins:\n"
                        + "\n".join(block.code.splitlines()[:5]),
                    )
        self.assertGreater(checked, 0)


class ExamplesPassTests(unittest.TestCase):
    def test_every_docs_example_module_has_passing_tests(self):
        modules = sorted(
            path.stem for path in (EXAMPLES / "docs").glob("*.py") if path.stem != "__init__"
        )
        self.assertTrue(modules)
        loader = unittest.TestLoader()
        for module in modules:
            with self.subTest(module=module):
                try:
                    importlib.import_module(f"examples.docs.{module}")
                except ModuleNotFoundError as error:
                    if error.name == "flask_sqlalchemy_lite" and not LITE_INSTALLED:
                        self.skipTest(LITE_MISSING)
                    raise
                suite = loader.loadTestsFromName(f"examples.docs.{module}")
                result, output = run_quietly(suite)
                self.assertGreater(result.testsRun, 0, f"examples/docs/{module}.py has no tests")
                self.assertTrue(result.wasSuccessful(), output)

    def test_the_todo_app_suite_passes(self):
        suite = unittest.TestLoader().loadTestsFromName("examples.todo_app.test_todo")
        result, output = run_quietly(suite)
        self.assertGreaterEqual(result.testsRun, 6, output)
        self.assertEqual(result.skipped, [], output)
        self.assertTrue(result.wasSuccessful(), output)
