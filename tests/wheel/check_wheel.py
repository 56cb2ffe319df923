"""``make check-wheel``: flask_txtest as a new user gets it, from a plain install.

Builds the wheel, installs it with no extras (so no greenlet on SQLAlchemy 2.1, no
database drivers) into a fresh virtual environment, and there runs:

1. ``pytest`` in an empty project: it must exit 5 ("no tests ran"); the plugin, loaded
   by every pytest run of the environment, must not break it.
2. a sync ``TransactionalTestCase`` suite on a SQLite file, under ``python -m unittest``
   and under pytest: it must pass.
3. a failing test, under both: the report must name the test's own file and line.

Exits 1 with what went wrong; prints each step as it goes.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import venv

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FAILING_MARK = "# the failing line"


def run(
    args: list[str], cwd: pathlib.Path, expect: int, step: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    if result.returncode != expect:
        sys.exit(
            f"FAILED: {step}: {' '.join(args)} exited {result.returncode}, expected {expect}"
            f"\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    print(f"ok: {step}")
    return result


def project(root: pathlib.Path, name: str, files: dict[str, str]) -> pathlib.Path:
    folder = root / name
    folder.mkdir()
    for target, source in files.items():
        shutil.copy(HERE / source, folder / target)
    return folder


def main() -> None:
    work = pathlib.Path(tempfile.mkdtemp(prefix="txtest-wheel-"))
    try:
        dist = work / "dist"
        run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)],
            ROOT,
            0,
            "build the wheel",
        )
        wheel = next(dist.glob("flask_txtest-*.whl"))
        venv.create(work / "venv", with_pip=True)
        python = str(work / "venv" / "bin" / "python")
        run([python, "-m", "pip", "install", "-q", str(wheel), "pytest"], work, 0, "install")
        probe = [python, "-c", "import greenlet"]
        has_greenlet = subprocess.run(probe, capture_output=True, check=False).returncode
        print(f"greenlet installed: {'no' if has_greenlet else 'yes'}")

        empty = project(work, "empty", {})
        out = run([python, "-m", "pytest"], empty, 5, "pytest in an empty project exits 5")
        if "no tests ran" not in out.stdout:
            sys.exit(f"FAILED: pytest did not say 'no tests ran':\n{out.stdout}")

        notes = project(work, "notes", {"test_notes.py": "notes_suite.py"})
        run([python, "-m", "unittest", "-v"], notes, 0, "a sync suite under python -m unittest")
        run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], notes, 0, "same, pytest")

        failing = project(work, "failing", {"test_failing.py": "failing_suite.py"})
        lines = (failing / "test_failing.py").read_text().splitlines()
        line = next(n for n, text in enumerate(lines, 1) if FAILING_MARK in text)
        out = run([python, "-m", "unittest"], failing, 1, "a failing test under unittest")
        where = f'test_failing.py", line {line}, in test_counts'
        if where not in out.stderr:
            sys.exit(f"FAILED: the unittest report does not name {where!r}:\n{out.stderr}")
        print(f"ok: the unittest report names {where}")
        out = run([python, "-m", "pytest", "-p", "no:cacheprovider"], failing, 1, "same, pytest")
        where = f"test_failing.py:{line}: AssertionError"
        if where not in out.stdout:
            sys.exit(f"FAILED: the pytest report does not name {where!r}:\n{out.stdout}")
        print(f"ok: the pytest report names {where}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("plain install: all checks passed")


if __name__ == "__main__":
    main()
