"""Running real pytest sessions on generated projects, in a subprocess.

A subprocess (not ``pytester``) so that the tests using it run under unittest and
pytest alike. Each project gets its own directory and ``pytest.ini``, so this repo's
configuration does not apply; outcomes are read from pytest's JUnit XML report.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import typing as t
import xml.etree.ElementTree as ElementTree

ROOT = pathlib.Path(__file__).resolve().parent.parent

_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|deselected|xfailed|xpassed)")


@dataclasses.dataclass
class PytestRun:
    returncode: int
    output: str
    #: ``file.py::[Class::]test`` -> "passed", "failed", "error" or "skipped".
    outcomes: dict[str, str]

    def summary(self) -> dict[str, int]:
        """The counts of pytest's last line (``3 passed, 1 error in 0.2s``)."""
        # pytest's own last line: a plugin may print warnings after it, to stderr
        # (pytest-asyncio's about an unset asyncio_default_fixture_loop_scope).
        lines = [line for line in self.output.strip().splitlines() if _SUMMARY.search(line)]
        last = next((line for line in reversed(lines) if " in " in line), "")
        counts = {kind: int(number) for number, kind in _SUMMARY.findall(last)}
        if "error" in counts:
            counts["errors"] = counts.pop("error")
        return counts


def write_project(
    files: dict[str, str], cleanup: t.Callable[[t.Callable[[], None]], None]
) -> pathlib.Path:
    """A temporary project directory holding ``files`` (dedented).

    ``cleanup`` registers its removal (``test.addCleanup``, ``cls.addClassCleanup``).
    """
    directory = tempfile.TemporaryDirectory(prefix="txtest_plugin_")
    cleanup(directory.cleanup)
    root = pathlib.Path(directory.name)
    files = {"pytest.ini": "[pytest]\n", **files}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def copy_project(
    source: pathlib.Path, cleanup: t.Callable[[t.Callable[[], None]], None]
) -> pathlib.Path:
    """A temporary copy of ``source``, so that a run's report and caches stay out of it."""
    directory = tempfile.TemporaryDirectory(prefix="txtest_example_")
    cleanup(directory.cleanup)
    root = pathlib.Path(directory.name)
    shutil.copytree(source, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _outcomes(report: pathlib.Path) -> dict[str, str]:
    if not report.exists():
        return {}
    outcomes: dict[str, str] = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        # xunit1 reports name the file; classname is "dir.module[.Class]".
        file = case.get("file", "")
        module = file.removesuffix(".py").replace("/", ".")
        classes = case.get("classname", "")[len(module) + 1 :]
        name = "::".join(filter(None, [file, classes.replace(".", "::"), case.get("name")]))
        kinds = {child.tag for child in case}
        if "error" in kinds:
            outcome = "error"
        elif "failure" in kinds:
            outcome = "failed"
        elif "skipped" in kinds:
            outcome = "skipped"
        else:
            outcome = "passed"
        outcomes[name] = outcome
    return outcomes


def run_pytest(
    project: pathlib.Path,
    *args: str,
    env: dict[str, str] | None = None,
) -> PytestRun:
    """``python -m pytest`` in ``project`` with this interpreter (and flask_txtest)."""
    report = project / "report.xml"
    environment = {**os.environ, **(env or {})}
    # The project's own modules, then this repo (flask_txtest, if not installed).
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(project), str(ROOT), *filter(None, [environment.get("PYTHONPATH")])]
    )
    environment.pop("PYTEST_ADDOPTS", None)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-rA",
            f"--junitxml={report}",
            "-o",
            "junit_family=xunit1",
            *args,
        ],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return PytestRun(completed.returncode, completed.stdout + completed.stderr, _outcomes(report))
