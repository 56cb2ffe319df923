"""The docs cannot drift: every code block is checked, and the examples pass.

1. Every fenced block of docs/*.md and README.md names its language and is checked,
   unless the line before it is ``<!-- not run: reason -->``:

   - ``python``: it appears verbatim (up to a common indentation) in a ``.py`` file
     under examples/, which the test suite runs;
   - ``sh`` / ``bash`` / ``console``: every command is ``make <target>`` of a target
     the Makefile defines, or the block appears verbatim in a file under examples/;
   - anything else (``toml``, ``ini``, ``text``, ...): it appears verbatim in a file
     under examples/ (a config file an example uses, or a string a test asserts).
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

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[ \t]*(?P<rest>.*)$")
_NOT_RUN = re.compile(r"^\s*<!--\s*not run:\s*(?P<reason>.*?)\s*-->\s*$")


PYTHON = ("python", "py")
SHELL = ("sh", "bash", "console", "shell")
# ``make <target>``, with variables before or after it (``BENCH_QUICK=1 make bench``,
# ``make bench ARGS='...'``).
_ASSIGNMENT = r"""[A-Z_]+=(?:'[^']*'|"[^"]*"|\S+)"""
_MAKE = re.compile(rf"^(?:{_ASSIGNMENT} )*make (?P<target>[\w-]+)(?: {_ASSIGNMENT})*$")
_MAKE_TARGET = re.compile(r"^(?P<target>[\w-]+):(?!=)", re.MULTILINE)


@dataclasses.dataclass
class Block:
    path: pathlib.Path
    line: int  # 1-based line of the opening fence
    code: str
    not_run_reason: str | None
    lang: str = "python"

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def python_blocks(path: pathlib.Path, text: str) -> list[Block]:
    """The fenced ``python`` blocks of a Markdown text, dedented, with their markers."""
    return [block for block in code_blocks(path, text) if block.lang in PYTHON]


def code_blocks(path: pathlib.Path, text: str) -> list[Block]:
    """Every fenced block of a Markdown text, dedented, with its language and marker."""
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
        previous = next((line for line in reversed(lines[:index]) if line.strip()), "")
        marker = _NOT_RUN.match(previous)
        blocks.append(
            Block(
                path=path,
                line=index + 1,
                code=textwrap.dedent("\n".join(lines[index + 1 : end])).strip(),
                not_run_reason=marker["reason"] if marker else None,
                lang=opening["lang"],
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
    return {path: text for path, text in example_files().items() if path.suffix == ".py"}


def example_files() -> dict[pathlib.Path, str]:
    """Every text file under examples/ (sources, config files, templates)."""
    files = {}
    for path in sorted(EXAMPLES.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        try:
            files[path] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return files


def make_targets() -> set[str]:
    return set(_MAKE_TARGET.findall((ROOT / "Makefile").read_text(encoding="utf-8")))


def unchecked(block: Block, files: dict[pathlib.Path, str], targets: set[str]) -> str | None:
    """Why ``block`` is not checked by the suite, or None when it is."""
    if block.not_run_reason is not None:
        return None if block.not_run_reason else "<!-- not run: ... --> must give a reason"
    if not block.lang:
        return "the block names no language (```python, ```sh, ```toml, ```text ...)"
    if block.lang in PYTHON:
        sources = {path: text for path, text in files.items() if path.suffix == ".py"}
        if any(contains_block(text, block.code) for text in sources.values()):
            return None
        return (
            "it is in no .py file under examples/. Put it, verbatim, in an "
            "examples/docs/<page>_*.py TestCase module (or mark it <!-- not run: reason -->)"
        )
    if any(contains_block(text, block.code) for text in files.values()):
        return None
    if block.lang in SHELL:
        commands = [line for line in block.code.splitlines() if line.strip()]
        made = [_MAKE.match(command.strip()) for command in commands]
        if commands and all(made):
            unknown = [m["target"] for m in made if m and m["target"] not in targets]
            if not unknown:
                return None
            return f"the Makefile has no target {', '.join(unknown)}"
        return (
            "a shell block must be make <target> commands of the Makefile, appear verbatim "
            "in a file under examples/, or be marked <!-- not run: reason -->"
        )
    return (
        f"this {block.lang} block appears verbatim in no file under examples/: put it in "
        "the config file or test that uses it, or mark it <!-- not run: reason -->"
    )


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

    def test_finds_every_block_with_its_language(self):
        blocks = code_blocks(ROOT / "page.md", self.TEXT)
        self.assertEqual([block.lang for block in blocks], ["python", "python", "text", "python"])
        self.assertEqual(blocks[2].code, "not python")

    def test_what_makes_a_non_python_block_checked(self):
        files = {EXAMPLES / "config" / "setup.cfg": "[tool:pytest]\naddopts = -q\n"}
        targets = {"test", "docs"}

        def why(lang, code, reason=None):
            block = Block(ROOT / "page.md", 1, code, reason, lang)
            return unchecked(block, files, targets)

        self.assertIsNone(why("ini", "[tool:pytest]\naddopts = -q"))
        self.assertIn("verbatim in no file", why("ini", "[tool:pytest]\naddopts = -x"))
        self.assertIsNone(why("sh", "make test\nmake docs"))
        self.assertIsNone(why("sh", "make test ARGS='-k x'\nTXTEST_X=1 make docs"))
        self.assertIsNotNone(why("sh", "make test; rm -rf build"))
        self.assertIn("no target lint", why("sh", "make lint"))
        self.assertIn("shell block", why("sh", "pip install flask_txtest"))
        self.assertIsNone(why("sh", "pip install flask_txtest", "installs into your venv"))
        self.assertIn("must give a reason", why("text", "x", ""))
        self.assertIn("names no language", why("", "x"))
        self.assertIn("no .py file", why("python", "[tool:pytest]"))

    def test_the_makefile_targets_are_read(self):
        self.assertLessEqual({"test", "demo", "lint", "docs", "venv"}, make_targets())

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

    def test_every_code_block_is_checked_or_marked_not_run(self):
        files = example_files()
        targets = make_targets()
        checked = 0
        for path in doc_files():
            for block in code_blocks(path, path.read_text(encoding="utf-8")):
                with self.subTest(block=block.where()):
                    reason = unchecked(block, files, targets)
                    self.assertIsNone(
                        reason,
                        f"The {block.lang or 'unnamed'} block at {block.where()}: {reason}. "
                        "It begins:\n" + "\n".join(block.code.splitlines()[:5]),
                    )
                    checked += block.not_run_reason is None
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
                    if error.name == "alembic":  # the dev extra has it; the oldest corner not
                        self.skipTest("alembic is not installed (pip install alembic)")
                    if error.name == "alchemical":  # the same
                        self.skipTest("alchemical is not installed (pip install alchemical)")
                    if error.name in ("fastapi", "httpx"):  # test-only, the dev extra's
                        self.skipTest(f"{error.name} is not installed (pip install fastapi httpx)")
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
