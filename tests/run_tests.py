"""``make test``: the whole suite under unittest and under pytest, on every backend here.

Prints which backends ran and which were skipped (and how to enable them), checks from
fresh connections that the suite left every table empty, and ends with one line
``N passed, N failed, N skipped``. With ``TXTEST_REQUIRE_BACKENDS`` set (CI), a skipped
backend is a failure; with ``TXTEST_REQUIRE_BROWSER=1`` (CI), so is a missing browser
(Chromium, its driver, Selenium: ``examples/browser/chromium.py``).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import unittest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import _backends  # noqa: E402


def report_backends() -> list[str]:
    """Print what runs where; return the names of required backends that cannot run."""
    required = {
        name.strip()
        for name in os.environ.get("TXTEST_REQUIRE_BACKENDS", "").split(",")
        if name.strip()
    }
    missing = []
    print("flask_txtest test backends:")
    for name, backend in _backends.BACKENDS.items():
        reason = backend.unavailable_reason
        if reason is None:
            print(f"  ran      {name:14} {sa_safe(backend.url)}")
        else:
            print(f"  SKIPPED  {name:14} {reason}")
            if name in required or backend.dialect in required:
                missing.append(name)
    return missing


def report_browser() -> bool:
    """Print whether the browser tests run here; False when they must and cannot."""
    from examples.browser import chromium

    reason = chromium.missing()
    if reason is None:
        print(f"  ran      {'browser':14} {chromium.CHROMIUM} through {chromium.CHROMEDRIVER}")
        return True
    print(f"  SKIPPED  {'browser':14} {reason}")
    return os.environ.get("TXTEST_REQUIRE_BROWSER") != "1"


def sa_safe(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)


def leftover_rows() -> list[str]:
    """Tables that still hold rows, read from fresh connections after the suite."""
    import sqlalchemy as sa

    dirty = []
    for backend in _backends.BACKENDS.values():
        if backend.is_memory or backend.unavailable_reason is not None:
            continue
        for url in (backend.url, backend.other_url):
            assert url is not None
            engine = _backends.fresh_engine(url)
            try:
                with engine.connect() as connection:
                    for table in sa.inspect(connection).get_table_names():
                        quoted = engine.dialect.identifier_preparer.quote(table)
                        count = connection.exec_driver_sql(
                            f"SELECT COUNT(*) FROM {quoted}"
                        ).scalar_one()
                        if count:
                            dirty.append(f"{sa_safe(url)} {table}: {count} rows")
            finally:
                engine.dispose()
    return dirty


def reset_sqlite_files() -> None:
    for backend in _backends.BACKENDS.values():
        for url in (backend.url, backend.other_url):
            if url and url.startswith("sqlite:///"):
                pathlib.Path(url[len("sqlite:///") :]).unlink(missing_ok=True)


def run_unittest(argv: list[str]) -> unittest.TestResult:
    print("\n== python -m unittest ==", flush=True)
    loader = unittest.TestLoader()
    if argv:
        suite = loader.loadTestsFromNames(argv)
    else:
        suite = loader.discover(str(ROOT / "tests"), top_level_dir=str(ROOT))
    return unittest.TextTestRunner(verbosity=1, buffer=True).run(suite)


def run_pytest(argv: list[str]) -> int:
    print("\n== python -m pytest (the same suites) ==", flush=True)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *argv]
    return subprocess.call(command, cwd=ROOT)


def main() -> int:
    argv = sys.argv[1:]
    reset_sqlite_files()
    missing = report_backends()
    report_browser()
    result = run_unittest(argv)
    pytest_status = run_pytest([arg.replace(".", "/") + ".py" for arg in argv] if argv else [])
    dirty = leftover_rows()

    passed = result.testsRun - len(result.failures) - len(result.errors) - len(result.skipped)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print("\n== summary ==")
    report_backends()
    browser_ok = report_browser()
    problems = []
    if not browser_ok:
        problems.append("TXTEST_REQUIRE_BROWSER=1, but the browser tests cannot run")
    if missing:
        problems.append(f"required backends skipped: {', '.join(missing)}")
    if pytest_status not in (0,):
        problems.append(f"pytest exited {pytest_status}")
    if dirty:
        problems.append("tables not empty after the suite:\n    " + "\n    ".join(dirty))
    for problem in problems:
        print(f"FAILED: {problem}")
    if any(
        name not in missing and _backends.BACKENDS[name].unavailable_reason
        for name in _backends.BACKENDS
    ):
        print(
            "To run the skipped backends: start PostgreSQL / MariaDB locally, or set "
            "TXTEST_POSTGRESQL_URL / TXTEST_MYSQL_URL to a database whose name contains "
            "'test'."
        )
    print(f"{passed} passed, {failed + len(problems)} failed, {len(result.skipped)} skipped")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
