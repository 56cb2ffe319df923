"""docs/how-it-works.md lists every private API flask_txtest relies on, and each one exists.

Each use of a private attribute of SQLAlchemy, Flask, CPython or a driver carries the
comment ``# relies on: <dotted.name>`` on its line. The section "What flask_txtest relies
on" of docs/how-it-works.md has one table row per name (first column, in backticks).
These tests keep the markers and the table equal, and import every name in the installed
versions, so a private API that moved fails here by name, not in a user's test run.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import re
import tempfile
import types
import typing as t
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "flask_txtest"
PAGE = ROOT / "docs" / "how-it-works.md"
SECTION = "## What flask_txtest relies on"

# The marker, exactly: ``# relies on: package.module.attribute``.
MARKER = re.compile(r"# relies on: (?P<name>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+)\s*$")
# Anything that looks like a marker, to catch misspelt ones.
_LOOKS_LIKE_MARKER = re.compile(r"#.*\brelies[\s_-]*on\s*:", re.IGNORECASE)
_ROW_NAME = re.compile(r"^`(?P<name>[^`]+)`$")


def markers(library: pathlib.Path = LIBRARY) -> dict[str, list[str]]:
    """Each marked name, with the ``path:line`` of its uses, from every module of the tree."""
    found: dict[str, list[str]] = {}
    for path in sorted(library.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = MARKER.search(line)
            if match:
                where = f"{path.relative_to(library.parent)}:{number}"
                found.setdefault(match["name"], []).append(where)
    return found


def malformed_markers(library: pathlib.Path = LIBRARY) -> list[str]:
    """Lines that mean to be a marker but do not have its exact form."""
    bad = []
    for path in sorted(library.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _LOOKS_LIKE_MARKER.search(line) and not MARKER.search(line):
                bad.append(f"{path.relative_to(library.parent)}:{number}: {line.strip()}")
    return bad


def listed(text: str) -> set[str]:
    """The names in the first column of the section's table."""
    if SECTION not in text:
        raise AssertionError(f"docs/how-it-works.md has no section {SECTION!r}")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    if len(rows) < 2 or not set(rows[1]) <= set("|-: "):
        raise AssertionError(f"the section {SECTION!r} has no table (header and separator)")
    names = set()
    for row in rows[2:]:
        first = row.strip("|").split("|")[0].strip()
        match = _ROW_NAME.match(first)
        if match is None:
            raise AssertionError(f"a row's first column is not a `dotted.name`: {row}")
        names.add(match["name"])
    return names


def resolve(name: str) -> object:
    """The object ``name`` names: its longest importable module, then attributes.

    An attribute only set on instances (``self._echo = ...`` in ``__init__``) is found
    in its class's source, since there is no instance to look at.
    """
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for index, attribute in enumerate(parts[cut:], cut):
            if hasattr(obj, attribute):
                obj = getattr(obj, attribute)
            elif (
                isinstance(obj, type)
                and index == len(parts) - 1
                and _set_on_instances(obj, attribute)
            ):
                return obj
            else:
                raise AttributeError(f"{'.'.join(parts[:index])} has no attribute {attribute!r}")
        return obj
    raise ImportError(f"no module of {name!r} imports")


def _set_on_instances(cls: type, attribute: str) -> bool:
    assigned = re.compile(rf"\bself\.{re.escape(attribute)}\s*(?::[^=\n]+)?=(?!=)")
    for klass in cls.__mro__:
        if attribute in getattr(klass, "__slots__", ()) or attribute in vars(klass).get(
            "__annotations__", {}
        ):
            return True
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if assigned.search(source):
            return True
    return False


def unresolved(names: t.Iterable[str]) -> list[str]:
    problems = []
    for name in sorted(names):
        try:
            resolve(name)
        except (ImportError, AttributeError) as error:
            problems.append(f"{name}: {error}")
    return problems


class TheListIsTrue(unittest.TestCase):
    def test_no_malformed_marker(self) -> None:
        self.assertEqual(
            malformed_markers(), [], "write markers exactly as '# relies on: dotted.name'"
        )

    def test_the_markers_and_the_table_name_the_same_apis(self) -> None:
        marked = markers()
        documented = listed(PAGE.read_text(encoding="utf-8"))
        missing = {name: marked[name] for name in sorted(set(marked) - documented)}
        extra = sorted(documented - set(marked))
        self.assertEqual(
            (missing, extra),
            ({}, []),
            f"marked in flask_txtest/ but not in the table of {SECTION!r} of "
            f"docs/how-it-works.md: {missing}; in the table but marked nowhere: {extra}",
        )

    def test_every_marked_api_exists_in_the_installed_versions(self) -> None:
        self.assertEqual(unresolved(markers()), [], "a private API flask_txtest relies on moved")


def _tree(files: dict[str, str]) -> pathlib.Path:
    root = pathlib.Path(tempfile.mkdtemp(prefix="txtest-relies-on-"))
    for relative, text in files.items():
        path = root / "flask_txtest" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "flask_txtest"


class TheCheckerWorks(unittest.TestCase):
    def setUp(self) -> None:
        import shutil

        self.library = _tree(
            {
                "__init__.py": "",
                "core/__init__.py": "",
                "core/deep/__init__.py": "",
                "core/deep/module.py": (
                    "x = 1\n"
                    "y = thing._private  # relies on: some.module.Thing._private\n"
                    "z = thing._private  # relies on: some.module.Thing._private\n"
                    "w = 2  # relies-on: a.b\n"
                    "v = 3  # relies on: not dotted\n"
                ),
            }
        )
        self.addCleanup(shutil.rmtree, self.library.parent)

    def test_markers_are_found_in_subpackages_with_each_use(self) -> None:
        self.assertEqual(
            markers(self.library),
            {
                "some.module.Thing._private": [
                    "flask_txtest/core/deep/module.py:2",
                    "flask_txtest/core/deep/module.py:3",
                ]
            },
        )

    def test_misspelt_markers_are_reported(self) -> None:
        self.assertEqual(
            [line.split(": ", 1)[0] for line in malformed_markers(self.library)],
            ["flask_txtest/core/deep/module.py:4", "flask_txtest/core/deep/module.py:5"],
        )

    def test_the_table_is_read_from_its_section_only(self) -> None:
        page = (
            "# How it works\n\n## What flask_txtest relies on\n\nWhy.\n\n"
            "| name | why |\n|---|---|\n| `a.b._c` | one |\n| `d.e` | two |\n\n"
            "## Next\n\n| `not.this` | x |\n"
        )
        self.assertEqual(listed(page), {"a.b._c", "d.e"})
        self.assertEqual(listed(page.replace("| `a.b._c` | one |\n", "")), {"d.e"})
        with self.assertRaisesRegex(AssertionError, "not a `dotted.name`"):
            listed(page.replace("`d.e`", "d.e"))
        with self.assertRaisesRegex(AssertionError, "has no section"):
            listed("# How it works\n")

    def test_names_resolve_through_modules_classes_and_instance_attributes(self) -> None:
        import argparse
        import collections
        import os.path

        self.assertIs(resolve("os.path.join"), os.path.join)
        self.assertIs(
            resolve("collections.OrderedDict.move_to_end"), collections.OrderedDict.move_to_end
        )
        # ``prog`` is only set in ``ArgumentParser.__init__``.
        self.assertIs(resolve("argparse.ArgumentParser.prog"), argparse.ArgumentParser)
        self.assertIsInstance(resolve("importlib.util"), types.ModuleType)
        self.assertEqual(
            [
                problem.split(":")[0]
                for problem in unresolved(
                    [
                        "os.path.no_such_name",
                        "argparse.ArgumentParser.no_such_name",
                        "no_such_module.x",
                        "os.path.join",
                    ]
                )
            ],
            ["argparse.ArgumentParser.no_such_name", "no_such_module.x", "os.path.no_such_name"],
        )


if __name__ == "__main__":
    unittest.main()
