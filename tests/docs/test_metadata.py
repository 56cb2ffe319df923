"""What a user adopting the library checks first: its license, metadata and markers."""

from __future__ import annotations

import pathlib
import re
import shutil
import tempfile
import typing as t
import unittest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None  # type: ignore[assignment]

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROJECT: dict[str, t.Any] = (
    tomllib.loads((ROOT / "pyproject.toml").read_text())["project"] if tomllib else {}
)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def versionadded_markers(library: pathlib.Path) -> list[tuple[str, str]]:
    """``(module, version)`` of every ``.. versionadded::`` in the package, subpackages too."""
    return [
        (path.relative_to(library).as_posix(), marker)
        for path in sorted(library.rglob("*.py"))
        for marker in re.findall(r"\.\. versionadded:: ([\d.]+)", path.read_text())
    ]


@unittest.skipIf(tomllib is None, "reading pyproject.toml needs tomllib (Python 3.11+)")
class Metadata(unittest.TestCase):
    def test_bsd_3_clause_license_file_and_metadata(self) -> None:
        self.assertIn("BSD 3-Clause License", (ROOT / "LICENSE").read_text())
        self.assertEqual(PROJECT["license"], "BSD-3-Clause")
        self.assertEqual(PROJECT["license-files"], ["LICENSE"])

    def test_authors_and_project_urls(self) -> None:
        self.assertTrue(PROJECT["authors"])
        self.assertLessEqual(
            {"Documentation", "Changelog", "Source", "Issues"}, set(PROJECT["urls"])
        )

    def test_versionadded_markers_match_the_version(self) -> None:
        # A marker newer than the version being made names a release that does not exist.
        version = _version(PROJECT["version"])[:2]
        markers = versionadded_markers(ROOT / "flask_txtest")
        self.assertTrue(markers)  # the reader works
        for path, marker in markers:
            with self.subTest(path=path, marker=marker):
                self.assertLessEqual(_version(marker)[:2], version)

    def test_markers_in_subpackage_modules_are_read(self) -> None:
        work = pathlib.Path(tempfile.mkdtemp(prefix="txtest-metadata-"))
        self.addCleanup(shutil.rmtree, work)
        copy = work / "flask_txtest"
        shutil.copytree(ROOT / "flask_txtest", copy, ignore=shutil.ignore_patterns("__pycache__"))
        module = copy / "wire" / "deeper" / "future.py"
        module.parent.mkdir()
        module.write_text('"""A module of the future.\n\n.. versionadded:: 99.0\n"""\n')
        added = set(versionadded_markers(copy)) - set(versionadded_markers(ROOT / "flask_txtest"))
        self.assertEqual(added, {("wire/deeper/future.py", "99.0")})

    def test_the_changelog_has_the_version(self) -> None:
        changelog = (ROOT / "docs" / "changelog.md").read_text()
        self.assertIn(f"## {PROJECT['version']}", changelog)


if __name__ == "__main__":
    unittest.main()
