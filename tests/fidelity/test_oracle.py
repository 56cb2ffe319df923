"""The differential oracle: random app programs, in production and inside flask_txtest.

See ``tests/fidelity/__init__.py`` for what is compared. A fixed seed in CI
(``derandomize=True``); ``TXTEST_FIDELITY_EXAMPLES=N`` runs N examples per backend.
"""

from __future__ import annotations

import os
import typing as t
import unittest

from hypothesis import HealthCheck, given, settings

from tests._backends import Backend, on_backends
from tests.fidelity._app import app_for, release_connections
from tests.fidelity._oracle import run_in_production, run_isolated
from tests.fidelity._programs import Program, programs

#: Examples per backend in a plain run (SQLite: split between its two app flavours):
#: the whole fidelity package then takes about a minute on two cores.
DEFAULT_EXAMPLES = 200


def examples_per_backend() -> int:
    value = os.environ.get("TXTEST_FIDELITY_EXAMPLES", "")
    try:
        return int(value) if value else DEFAULT_EXAMPLES
    except ValueError:
        raise ValueError(
            f"TXTEST_FIDELITY_EXAMPLES must be a number of examples, not {value!r}"
        ) from None


def oracle_settings(share: float = 1.0) -> settings:
    return settings(
        max_examples=max(1, int(examples_per_backend() * share)),
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        # One method runs per backend copy of the class (tests._backends.on_backends).
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.differing_executors,
        ],
    )


class OracleChecks(unittest.TestCase):
    backend: t.ClassVar[Backend]

    @classmethod
    def tearDownClass(cls) -> None:
        release_connections(cls.backend)
        super().tearDownClass()

    def check(self, program: Program, *, savepoints: bool) -> None:
        app = app_for(self.backend, savepoints)
        trace = run_in_production(app, self.backend, program.steps)
        verdict = run_isolated(app, self.backend, trace)
        if verdict.divergence is not None:
            self.fail(f"on {self.backend.name}: {verdict.divergence}")


@on_backends("sqlite", "sqlite_memory")
class SQLiteOracle(OracleChecks):
    """SQLite: the documented SAVEPOINT recipe app, and the legacy-mode app without it."""

    @oracle_settings(share=0.6)
    @given(programs(savepoints=True))
    def test_programs_agree_with_production(self, program: Program) -> None:
        self.check(program, savepoints=True)

    @oracle_settings(share=0.4)
    @given(programs(savepoints=False))
    def test_programs_without_savepoints_agree_with_production(self, program: Program) -> None:
        self.check(program, savepoints=False)


@on_backends("postgresql", "mysql")
class ServerOracle(OracleChecks):
    @oracle_settings()
    @given(programs(savepoints=True))
    def test_programs_agree_with_production(self, program: Program) -> None:
        self.check(program, savepoints=True)


if __name__ == "__main__":
    unittest.main()
