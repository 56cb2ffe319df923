"""The map at the top of docs/how-it-works.md matches the package tree.

The map's table has a row per room: a subpackage (``core/``) or a top-level module
(``client.py``), what it owns, and its modules (names relative to the room). Every
module it names must exist, and every module of flask_txtest/ must be named (a
subpackage's ``__init__.py`` is its room's); the diagram above it names every
subpackage. When modules are split, moved or added, the failure says which to add or
remove.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "flask_txtest"
PAGE = ROOT / "docs" / "how-it-works.md"
SECTION = "## The map"
HEADER = "| room | what it owns | its modules |"

_CODE = re.compile(r"`([^`]+)`")


def section(text: str) -> str:
    if SECTION not in text:
        raise AssertionError(f"docs/how-it-works.md has no section {SECTION!r}")
    return text.split(SECTION, 1)[1].split("\n## ", 1)[0]


def mapped(text: str) -> dict[str, str]:
    """Each module path the table names (relative to flask_txtest/) -> its room."""
    body = section(text)
    if HEADER not in body:
        raise AssertionError(f"the map has no table headed {HEADER!r}")
    rows = body.split(HEADER, 1)[1].strip().splitlines()[1:]
    modules: dict[str, str] = {}
    for row in rows:
        if not row.startswith("|"):
            break
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        rooms = _CODE.findall(cells[0])
        if len(cells) != 3 or len(rooms) != 1:
            raise AssertionError(f"a row of the map is not `room` | owns | `modules`: {row}")
        (room,) = rooms
        prefix = room if room.endswith("/") else ""
        for name in _CODE.findall(cells[2]):
            modules[prefix + name] = room
    return modules


def diagram(text: str) -> str:
    """The map's diagram: its first fenced block."""
    match = re.search(r"^```[\w-]*\n(.*?)^```", section(text), re.MULTILINE | re.DOTALL)
    if match is None:
        raise AssertionError("the map has no diagram (a fenced block)")
    return match[1]


def modules_of(library: pathlib.Path) -> set[str]:
    """Every module of the package, relative to it, but subpackages' ``__init__.py``."""
    return {
        path.relative_to(library).as_posix()
        for path in library.rglob("*.py")
        if "__pycache__" not in path.parts
        and not (path.name == "__init__.py" and path.parent != library)
    }


def subpackages(library: pathlib.Path) -> set[str]:
    return {
        path.parent.relative_to(library).as_posix() + "/"
        for path in library.rglob("__init__.py")
        if path.parent != library
    }


def differences(text: str, library: pathlib.Path) -> dict[str, list[str]]:
    named = set(mapped(text))
    actual = modules_of(library)
    drawn = diagram(text)
    return {
        "missing from the map": sorted(actual - named),
        "in the map, not in flask_txtest/": sorted(named - actual),
        "subpackages not in the diagram": sorted(
            package
            for package in subpackages(library)
            if not re.search(rf"(?<![\w/]){re.escape(package)}(?!\w)", drawn)
        ),
    }


class TheMapMatchesTheTree(unittest.TestCase):
    def test_every_module_is_on_the_map_and_every_module_on_it_exists(self) -> None:
        self.assertGreater(len(modules_of(LIBRARY)), 20)  # the reader works
        found = differences(PAGE.read_text(encoding="utf-8"), LIBRARY)
        self.assertEqual(
            found,
            {key: [] for key in found},
            "update the table of '## The map' in docs/how-it-works.md",
        )


PAGE_SAMPLE = """\
# How it works

## The map

```text
core/  sub/deep/
```

| room | what it owns | its modules |
|---|---|---|
| `__init__.py` | the public names | `__init__.py` |
| `core/` | the core | `isolation.py`, `targets.py` |
| `sub/deep/` | a deep room | `thing.py` |

## Next

| `else.py` | x | `else.py` |
"""


class TheCheckWorks(unittest.TestCase):
    def setUp(self) -> None:
        self.library = pathlib.Path(tempfile.mkdtemp(prefix="txtest-map-")) / "flask_txtest"
        self.addCleanup(shutil.rmtree, self.library.parent)
        for relative in (
            "__init__.py",
            "core/__init__.py",
            "core/isolation.py",
            "core/targets.py",
            "sub/__init__.py",
            "sub/deep/__init__.py",
            "sub/deep/thing.py",
        ):
            (self.library / relative).parent.mkdir(parents=True, exist_ok=True)
            (self.library / relative).write_text("")

    def test_the_table_is_read_with_rooms_as_prefixes(self) -> None:
        self.assertEqual(
            set(mapped(PAGE_SAMPLE)),
            {"__init__.py", "core/isolation.py", "core/targets.py", "sub/deep/thing.py"},
        )

    def test_a_tree_that_matches_passes(self) -> None:
        self.assertEqual(
            differences(PAGE_SAMPLE.replace("sub/deep/", "sub/deep/ sub/", 1), self.library),
            {
                "missing from the map": [],
                "in the map, not in flask_txtest/": [],
                "subpackages not in the diagram": [],
            },
        )

    def test_a_module_split_off_in_a_subpackage_is_missing(self) -> None:
        (self.library / "sub" / "deep" / "split_off.py").write_text("")
        (self.library / "core" / "targets.py").unlink()
        found = differences(PAGE_SAMPLE, self.library)
        self.assertEqual(found["missing from the map"], ["sub/deep/split_off.py"])
        self.assertEqual(found["in the map, not in flask_txtest/"], ["core/targets.py"])
        self.assertEqual(found["subpackages not in the diagram"], ["sub/"])

    def test_a_malformed_row_is_refused(self) -> None:
        with self.assertRaisesRegex(AssertionError, "not `room`"):
            mapped(PAGE_SAMPLE.replace("| `core/` |", "| core/ |"))


if __name__ == "__main__":
    unittest.main()
