"""The async fixtures (txtest_async_*) in real pytest runs, on aiosqlite, asyncpg, aiomysql.

Each run is a subprocess pytest project (tests/_pytest_runs.py) with
``-W error::ResourceWarning -W error::pytest.PytestUnraisableExceptionWarning``, and its
output must hold no "Event loop is closed" and no "Task was destroyed but it is
pending". After it, the tables are empty from a fresh connection.

- examples/pytest_async: the seeds' tests, unchanged, under the plugin's one-line
  fixtures; and the counterpart, the seeds' own conftest, failing on the retry.
- Every pytest-asyncio loop scope (function, class, module, session) and anyio.
- The combinations that cannot work are refused (tests/faults/test_async_faults.py).
"""

from __future__ import annotations

import importlib.util
import pathlib
import typing as t
import unittest

from tests._backends import (
    LITE_INSTALLED,
    LITE_MISSING,
    SERVERS,
    Backend,
    count_rows,
    delete_all,
    on_backends,
)
from tests._pytest_runs import ROOT, PytestRun, copy_project, run_pytest, write_project

MISSING = [
    name
    for name in ("pytest_asyncio", "anyio", "fastapi", "httpx")
    if importlib.util.find_spec(name) is None
]
SKIP = (
    f"{', '.join(MISSING)} not installed (test-only: pip install pytest-asyncio anyio "
    "fastapi httpx)"
)

EXAMPLE = ROOT / "examples" / "pytest_async"
STRICT_FLAGS = (
    "-W",
    "error::ResourceWarning",
    "-W",
    "error::pytest.PytestUnraisableExceptionWarning",
)
LOOP_ERRORS = (
    "Event loop is closed",
    "Task was destroyed but it is pending",
    "attached to a different loop",
)
TABLE = "animals"


def run_strict(project: pathlib.Path, url: str, *args: str) -> PytestRun:
    return run_pytest(
        project, *STRICT_FLAGS, *args, env={"DATABASE_URL": url, "PYTHONDEVMODE": "1"}
    )


class LoopCheck(unittest.TestCase):
    def assertNoLoopTrouble(self, run: PytestRun) -> None:
        for text in LOOP_ERRORS:
            self.assertNotIn(text, run.output)


@on_backends(*SERVERS)
@unittest.skipIf(MISSING, SKIP)
class SeedExampleTests(LoopCheck):
    backend: t.ClassVar[Backend]

    def test_the_seeds_tests_pass_under_the_plugins_fixtures(self) -> None:
        self.addCleanup(delete_all, self.backend.url, TABLE)
        project = copy_project(EXAMPLE, self.addCleanup)
        run = run_strict(project, self.backend.async_url)
        self.assertEqual(run.summary(), {"passed": 7}, run.output)
        self.assertNoLoopTrouble(run)
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)

    def test_the_seeds_own_fixtures_fail_on_the_retry(self) -> None:
        self.addCleanup(delete_all, self.backend.url, TABLE)
        project = copy_project(EXAMPLE, self.addCleanup)
        (project / "seed_conftest.py").replace(project / "conftest.py")
        run = run_pytest(project, env={"DATABASE_URL": self.backend.async_url})
        retry = "test_routes.py::test_add_retries_after_an_integrity_error"
        self.assertEqual(run.outcomes[retry], "failed", run.output)
        self.assertIn("Can't operate on closed transaction inside context manager", run.output)
        others = {name: outcome for name, outcome in run.outcomes.items() if name != retry}
        self.assertEqual(set(others.values()), {"passed"}, run.output)
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)


MODELS = """
import os
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

async_engine = create_async_engine(os.environ["DATABASE_URL"])
Session = async_sessionmaker(bind=async_engine, class_=AsyncSession, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Pet(Base):
    __tablename__ = "async_plugin_pet"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)


async def count(session):
    return await session.scalar(sa.select(sa.func.count()).select_from(Pet))
"""

INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
txtest_async_sessionmakers = models.Session
txtest_metadata = models.Base.metadata
"""

LOOP_SCOPES = """
import pytest
import sqlalchemy as sa
from models import Pet, Session, count


async def add_and_commit(session):
    session.add(Pet(name="Max"))
    await session.commit()
    async with Session() as other:  # the app's factory: the same test transaction
        assert await count(other) == 1


@pytest.mark.asyncio
async def test_function_loop(txtest_async_session):
    await add_and_commit(txtest_async_session)


@pytest.mark.asyncio(loop_scope="module")
async def test_module_loop(txtest_async_session):
    await add_and_commit(txtest_async_session)


@pytest.mark.asyncio(loop_scope="module")
async def test_module_loop_starts_clean(txtest_async_session):
    assert await count(txtest_async_session) == 0
    await add_and_commit(txtest_async_session)


@pytest.mark.asyncio(loop_scope="session")
async def test_session_loop(txtest_async_connection):
    await txtest_async_connection.execute(sa.insert(Pet).values(name="Max"))
    assert await txtest_async_connection.scalar(sa.select(sa.func.count()).select_from(Pet)) == 1


class TestClassLoop:
    @pytest.mark.asyncio(loop_scope="class")
    async def test_one(self, txtest_async_session):
        await add_and_commit(txtest_async_session)

    @pytest.mark.asyncio(loop_scope="class")
    async def test_two(self, txtest_async_session):
        await add_and_commit(txtest_async_session)


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_anyio(txtest_async_session):
    await add_and_commit(txtest_async_session)


@pytest.mark.anyio
async def test_anyio_starts_clean(txtest_async_session):
    assert await count(txtest_async_session) == 0
"""

FLASK_APP = """
from flask import Flask, jsonify
from models import Pet, Session


def create_app():
    app = Flask(__name__)

    @app.post("/pets/<name>")
    async def add(name):
        async with Session() as session:
            session.add(Pet(name=name))
            await session.commit()
        return jsonify(name), 201

    return app
"""

FLASK_TESTS = """
import pytest
from models import count


@pytest.mark.asyncio(loop_scope="module")
async def test_an_async_view_on_the_tests_loop(txtest_async_client, txtest_async_session):
    assert (await txtest_async_client.post("/pets/Max")).status_code == 201
    assert await count(txtest_async_session) == 1


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_under_anyio(txtest_async_client, txtest_async_session):
    assert (await txtest_async_client.post("/pets/Max")).status_code == 201
    assert await count(txtest_async_session) == 1
"""


@on_backends(*SERVERS)
@unittest.skipIf(MISSING, SKIP)
class LoopScopeTests(LoopCheck):
    backend: t.ClassVar[Backend]

    def project(self, **files: str) -> pathlib.Path:
        self.addCleanup(delete_all, self.backend.url, "async_plugin_pet")
        return write_project({"pytest.ini": INI, "models.py": MODELS, **files}, self.addCleanup)

    def test_every_pytest_asyncio_loop_scope_and_anyio(self) -> None:
        run = run_strict(self.project(**{"test_loops.py": LOOP_SCOPES}), self.backend.async_url)
        self.assertEqual(run.summary(), {"passed": 8}, run.output)
        self.assertNoLoopTrouble(run)
        self.assertEqual(count_rows(self.backend.url, "async_plugin_pet"), 0)

    def test_flask_async_views_through_txtest_async_client(self) -> None:
        files = {
            "pytest.ini": INI + "txtest_app = flask_app:create_app\n",
            "flask_app.py": FLASK_APP,
            "test_views.py": FLASK_TESTS,
        }
        run = run_strict(self.project(**files), self.backend.async_url)
        self.assertEqual(run.summary(), {"passed": 2}, run.output)
        self.assertNoLoopTrouble(run)
        self.assertEqual(count_rows(self.backend.url, "async_plugin_pet"), 0)


LITE_INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
txtest_app = liteapp:create_app
txtest_metadata = liteapp.Model.metadata
"""

LITE_APP = """
import os
import sqlalchemy as sa
from flask import Flask, jsonify
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

db = SQLAlchemy()


class Model(DeclarativeBase):
    pass


class Todo(Model):
    __tablename__ = "async_plugin_todo"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(50))


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_ASYNC_ENGINES"] = {"default": os.environ["DATABASE_URL"]}
    db.init_app(app)

    @app.post("/todos/<title>")
    async def add(title):
        db.async_session.add(Todo(title=title))
        await db.async_session.commit()
        return "", 201

    @app.get("/todos")
    async def todos():
        return jsonify(list(await db.async_session.scalars(sa.select(Todo.title))))

    return app
"""

LITE_TESTS = """
import pytest
import sqlalchemy as sa
from liteapp import Todo, db


@pytest.mark.asyncio
async def test_views_and_the_apps_session(txtest_async_client):
    assert (await txtest_async_client.post("/todos/a")).status_code == 201
    assert (await txtest_async_client.get("/todos")).get_json() == ["a"]
    assert await db.async_session.scalar(sa.select(sa.func.count()).select_from(Todo)) == 1


@pytest.mark.asyncio(loop_scope="module")
async def test_starts_clean(txtest_async_session):
    assert await txtest_async_session.scalar(sa.select(sa.func.count()).select_from(Todo)) == 0
"""


# on_backends outermost: it copies the class the skips decorated.
@on_backends(*SERVERS)
@unittest.skipIf(MISSING, SKIP)
@unittest.skipUnless(LITE_INSTALLED, LITE_MISSING)
class LiteAppTests(LoopCheck):
    """A Flask-SQLAlchemy-Lite app with async engines only: found without the ini's
    async options; db.async_session works in the test body (the app context is pushed
    on the test's loop)."""

    backend: t.ClassVar[Backend]

    def test_the_apps_async_engines_are_isolated(self) -> None:
        self.addCleanup(delete_all, self.backend.url, "async_plugin_todo")
        files = {"pytest.ini": LITE_INI, "liteapp.py": LITE_APP, "test_lite.py": LITE_TESTS}
        project = write_project(files, self.addCleanup)
        run = run_strict(project, self.backend.async_url)
        self.assertEqual(run.summary(), {"passed": 2}, run.output)
        self.assertNoLoopTrouble(run)
        self.assertEqual(count_rows(self.backend.url, "async_plugin_todo"), 0)
