"""The Django peer, run in benchmarks/.venv-django: the same test body under two cases.

- ``testcase``: ``django.test.TestCase`` (class atomic + a savepoint per test);
- ``bare``: autocommit off for the class, a plain ``rollback()`` after each test, no
  TestCase machinery (the floor, as the Flask side's bare variant).

Argument: a JSON object with the database settings and the run sizes. Prints one JSON
object (per-test statistics and versions) on its last line of output.
"""

from __future__ import annotations

import json
import pathlib
import sys
import time
import typing as t
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

import django  # noqa: E402
from django.conf import settings  # noqa: E402

CONFIG: dict[str, t.Any] = json.loads(sys.argv[1])
settings.configure(
    DEBUG=False,
    USE_TZ=True,
    INSTALLED_APPS=["benchapp"],
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", **CONFIG["database"]}},
)
django.setup()

from benchapp.models import Item  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import TestCase  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from benchmarks.stats import summarize  # noqa: E402
from benchmarks.timing import Durations, run_case  # noqa: E402


def insert_and_query(test: unittest.TestCase) -> None:
    Item.objects.create(name="item")
    names = list(Item.objects.values_list("name", flat=True))
    test.assertEqual(names, ["item"])


class BareTestCase(unittest.TestCase):
    """BEGIN ... ROLLBACK around each test on Django's one connection."""

    @classmethod
    def setUpClass(cls) -> None:
        transaction.set_autocommit(False)

    @classmethod
    def tearDownClass(cls) -> None:
        transaction.rollback()
        transaction.set_autocommit(True)

    def tearDown(self) -> None:
        transaction.rollback()


BASES = {"testcase": TestCase, "bare": BareTestCase}


def with_tests(name: str, base: type, count: int) -> type:
    tests = {f"test_{index:05}": insert_and_query for index in range(count)}
    return type(name, (base,), {"__module__": __name__, **tests})


def main() -> None:
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=True)
    cases = {key: with_tests(f"Django{key}", base, CONFIG["tests"]) for key, base in BASES.items()}
    for key, base in BASES.items():
        run_case(with_tests(f"Warmup{key}", base, CONFIG["warmup"]))
    durations = {key: Durations() for key in cases}
    keys = list(cases)
    for round_index in range(CONFIG["rounds"]):
        start = time.perf_counter()
        for key in keys[round_index % 2 :] + keys[: round_index % 2]:
            durations[key].extend(run_case(cases[key]))
        took = time.perf_counter() - start
        print(f"    Django round {round_index + 1} ({took:.1f} s)", file=sys.stderr)
    import psycopg

    output = {
        "variants": {key: summarize(values) for key, values in durations.items()},
        "versions": {"django": django.get_version(), "psycopg": psycopg.__version__},
        "database": connection.settings_dict["NAME"],
    }
    print(json.dumps(output))


if __name__ == "__main__":
    main()
