"""Async test cases: the sync client misused on an async view."""

from __future__ import annotations

import typing as t
import unittest

from flask import Flask

from flask_txtest import AsyncTransactionalTestCase
from tests._backends import on_backends
from tests.faults._support import FaultChecks, add_item, app_for, run_case


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class AsyncMisconfigured(FaultChecks):
    def base(self) -> type[AsyncTransactionalTestCase]:
        backend = self.backend

        class OnFaultApp(AsyncTransactionalTestCase):
            def create_app(self) -> Flask:
                return app_for(backend)

        return OnFaultApp

    def test_the_sync_client_on_an_async_view_points_to_async_client(self) -> None:
        class Case(self.base()):  # type: ignore[misc]
            async def test_body(self) -> None:
                add_item("written before the mistake")
                self.client.get("/async")

        self.assertFailedWith(
            run_case(Case),
            "test_body",
            "ConfigurationError: An async view was called through self.client inside an "
            "async test, on the thread that runs the test's event loop. Use "
            "'await self.async_client.get(...)'",
        )
        self.assertCommitted(0)

    def test_async_client_runs_the_same_view(self) -> None:
        class Case(self.base()):  # type: ignore[misc]
            async def test_body(self) -> None:
                response: t.Any = await self.async_client.get("/async")
                self.assertEqual(response.get_data(as_text=True), "async")

        result = run_case(Case)
        self.assertPassed(result)


if __name__ == "__main__":
    unittest.main()
