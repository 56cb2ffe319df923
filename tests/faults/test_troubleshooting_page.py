"""docs/troubleshooting.md lists every error the library raises, each one tested.

The page marks the fixed text of each message in **bold**. Every bold phrase must be
in the library's source (the message exists) and in a fault test (a test asserts it);
every place in the library that builds an error message must contain one of them (the
page is complete).
"""

from __future__ import annotations

import pathlib
import re
import shutil
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "troubleshooting.md"
LIBRARY = ROOT / "flask_txtest"
FAULTS = pathlib.Path(__file__).resolve().parent

# Bold words of the page's prose, not message text.
_PROSE = {"Why.", "Fix.", "bold"}
# Where the library builds the message of an error or a failure.
_RAISES = re.compile(
    r"(?<!class )\b(ConfigurationError|IsolationError|TxtestError|RuntimeError|"
    r"failureException|ResourceClosedError|InvalidRequestError|ContextVariableDoesNotExist)\("
)


def joined(source: str) -> str:
    """``source`` with adjacent string literals joined, so wrapped messages read whole."""
    return re.sub(r'"\s*\n\s*(?:[rRfF]{1,2})?"', "", source)


def phrases() -> list[str]:
    found = re.findall(r"\*\*(.+?)\*\*", PAGE.read_text())
    return [phrase for phrase in dict.fromkeys(found) if phrase not in _PROSE]


def library_sources(library: pathlib.Path = LIBRARY) -> dict[str, str]:
    # The whole package, subpackages included.
    return {
        path.relative_to(library).as_posix(): joined(path.read_text())
        for path in sorted(library.rglob("*.py"))
    }


def fault_tests() -> str:
    return "\n".join(
        joined(path.read_text())
        for path in sorted(FAULTS.glob("test_*.py"))
        if path.name != pathlib.Path(__file__).name
    )


def _call_text(source: str, start: int) -> str:
    """The text of the call that starts at ``start`` (up to its closing parenthesis)."""
    depth = 0
    for index in range(source.index("(", start), min(len(source), start + 2000)):
        depth += {"(": 1, ")": -1}.get(source[index], 0)
        if depth == 0:
            return source[start : index + 1]
    return source[start : start + 800]


def unlisted_errors(listed: list[str], library: pathlib.Path = LIBRARY) -> list[str]:
    """``path:line: call`` of each error the library builds whose message is not listed."""
    unlisted = []
    for name, source in library_sources(library).items():
        for match in _RAISES.finditer(source):
            call = _call_text(source, match.start())
            if not any(phrase in call for phrase in listed):
                line = source.count("\n", 0, match.start()) + 1
                unlisted.append(f"{name}:{line}: {' '.join(call.split())[:160]}")
    return unlisted


class TroubleshootingPage(unittest.TestCase):
    def test_the_page_lists_messages(self) -> None:
        self.assertGreater(len(phrases()), 40, phrases())

    def test_every_listed_message_is_raised_by_the_library(self) -> None:
        library = "\n".join(library_sources().values())
        missing = [phrase for phrase in phrases() if phrase not in library]
        self.assertEqual(missing, [], "listed on the page, not in flask_txtest/")

    def test_every_listed_message_is_asserted_by_a_fault_test(self) -> None:
        tests = fault_tests()
        missing = [phrase for phrase in phrases() if phrase not in tests]
        self.assertEqual(missing, [], "listed on the page, asserted by no tests/faults test")

    def test_every_error_the_library_raises_is_on_the_page(self) -> None:
        unlisted = unlisted_errors(phrases())
        self.assertEqual(unlisted, [], "add these messages to docs/troubleshooting.md")


class TheCheckWalksSubpackages(unittest.TestCase):
    """An undocumented error in a module of a subpackage, at any depth, fails the check."""

    def copy_of_the_package(self) -> pathlib.Path:
        work = pathlib.Path(tempfile.mkdtemp(prefix="txtest-troubleshooting-"))
        self.addCleanup(shutil.rmtree, work)
        copy = work / "flask_txtest"
        shutil.copytree(LIBRARY, copy, ignore=shutil.ignore_patterns("__pycache__"))
        return copy

    def test_the_copy_passes_as_the_package_does(self) -> None:
        copy = self.copy_of_the_package()
        self.assertEqual(unlisted_errors(phrases(), copy), unlisted_errors(phrases()))

    def test_an_undocumented_error_in_a_subpackage_module_is_found(self) -> None:
        undocumented = (
            "from flask_txtest.errors import ConfigurationError\n\n\n"
            "def check() -> None:\n"
            '    raise ConfigurationError("a message no page lists")\n'
        )
        for module in ("wire/undocumented.py", "core/deeper/still/undocumented.py"):
            with self.subTest(module=module):
                copy = self.copy_of_the_package()
                (copy / module).parent.mkdir(parents=True, exist_ok=True)
                (copy / module).write_text(undocumented)
                self.assertEqual(
                    unlisted_errors(phrases(), copy),
                    [f'{module}:5: ConfigurationError("a message no page lists")'],
                )


if __name__ == "__main__":
    unittest.main()
