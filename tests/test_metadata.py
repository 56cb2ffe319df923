"""What a user adopting the library checks first: its license, metadata and markers."""

from __future__ import annotations

import pathlib
import re
import typing as t
import unittest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None  # type: ignore[assignment]

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROJECT: dict[str, t.Any] = (
    tomllib.loads((ROOT / "pyproject.toml").read_text())["project"] if tomllib else {}
)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


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
        for path in sorted((ROOT / "flask_txtest").rglob("*.py")):
            for marker in re.findall(r"\.\. versionadded:: ([\d.]+)", path.read_text()):
                with self.subTest(path=path.relative_to(ROOT), marker=marker):
                    self.assertLessEqual(_version(marker)[:2], version)

    def test_the_changelog_has_the_version(self) -> None:
        changelog = (ROOT / "docs" / "changelog.md").read_text()
        self.assertIn(f"## {PROJECT['version']}", changelog)


if __name__ == "__main__":
    unittest.main()
