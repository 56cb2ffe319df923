"""Benchmark of parallel runs (issue 15): one suite, one process vs two.

A generated suite (``--tests``, default 400: modules of unittest TestCases, each test a
realistic mix of app work and database round trips: requests through the test client
that write through ``db.session``, a bind and an extra engine, reads, a rendered page)
runs under ``pytest -n 0`` and ``pytest -n 2``, and under ``python -m unittest`` and
``TXTEST_PARALLEL=1 unittest-parallel -j 2``, on SQLite (a file), PostgreSQL and
MariaDB. Each parallel runner runs once with no copies (what making them costs, once)
and then with the copies in place. Prints wall times and speedups; asserts nothing.

The runs find compiled code as on a developer's machine: ``PYTHONDONTWRITEBYTECODE`` is
removed from their environment, and a collect-only run first fills the caches (``.pyc``
files, and pytest's assertion-rewritten test modules and plugins). Two more rows run
pytest with no bytecode at all (``PYTHONDONTWRITEBYTECODE=1`` and an empty
``PYTHONPYCACHEPREFIX``), as in a container that sets it: there each process compiles
every module it imports, and pytest rewrites the test modules and every pytest plugin's
package, so each xdist worker pays that start-up again (docs/performance.md).

Run: ``make bench-parallel`` (``BENCH_QUICK=1`` for a small run; ``ARGS='--backends
postgresql --rounds 3'``). The servers come from ``TXTEST_POSTGRESQL_URL`` /
``TXTEST_MYSQL_URL``; the benchmark uses databases of its own beside them
(``<name>_benchpar``, ``<name>_benchpar_audit``) and drops them and their copies at the end.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

import sqlalchemy as sa

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.backends import MYSQL_URL, POSTGRESQL_URL  # noqa: E402
from flask_txtest.core.parallel.cleanup import drop_copies  # noqa: E402

APP = '''
import json
import os

import sqlalchemy as sa
from flask import Flask, render_template_string, request
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
search_engine = None

PAGE = """<ul>{% for post in posts %}<li><b>{{ post.title|e }}</b>
{{ post.body|truncate(40) }} by {{ post.author }}</li>{% endfor %}</ul>"""


class User(db.Model):
    __tablename__ = "bench_users"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), unique=True)


class Post(db.Model):
    __tablename__ = "bench_posts"
    id = db.Column(db.Integer, primary_key=True)
    author_id = db.Column(db.ForeignKey("bench_users.id"))
    title = db.Column(db.String(120), unique=True)
    body = db.Column(db.Text)


class AuditEntry(db.Model):
    __bind_key__ = "audit"
    __tablename__ = "bench_audit"
    id = db.Column(db.Integer, primary_key=True)
    event = db.Column(db.String(160), unique=True)


search_index = sa.Table(
    "bench_search", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("term", sa.String(120), unique=True),
)


def create_app():
    global search_engine
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_DATABASE_URL"]
    app.config["SQLALCHEMY_BINDS"] = {"audit": os.environ["BENCH_AUDIT_URL"]}
    db.init_app(app)
    search_engine = sa.create_engine(os.environ["BENCH_DATABASE_URL"])

    @app.post("/users")
    def add_user():
        name = request.json["name"]
        user = User(name=name)
        db.session.add(user)
        db.session.add(AuditEntry(event=f"joined {name}"))
        db.session.commit()
        return {"id": user.id}

    @app.post("/users/<int:user_id>/posts")
    def add_post(user_id):
        data = request.json
        with search_engine.begin() as connection:
            connection.execute(search_index.insert().values(term=data["title"]))
        post = Post(author_id=user_id, title=data["title"], body=data["body"])
        db.session.add(post)
        db.session.add(AuditEntry(event=f"posted {data['title']}"))
        db.session.commit()
        return {"id": post.id}

    @app.get("/feed")
    def feed():
        rows = db.session.execute(
            sa.select(Post.title, Post.body, User.name).join(User).order_by(Post.id)
        ).all()
        posts = [{"title": t, "body": b * 3, "author": a} for t, b, a in rows]
        # The app's own work: a page rendered and a JSON payload built.
        html = render_template_string(PAGE, posts=posts * 5)
        payload = json.dumps({"posts": posts * 5, "html": html}, sort_keys=True)
        return {"count": len(rows), "size": len(payload)}

    return app
'''

CASE = """
import unittest

import bench_app
from flask_txtest import TransactionalTestCase


# One app per process, as a suite with a module-level app has (an app per class would
# keep one pool per class: 40 classes x 3 engines is more connections than a server's
# default max_connections).
APP = bench_app.create_app()


class BenchCase(TransactionalTestCase):
    app = APP
    isolate_engines = ("bench_app:search_engine",)
    reset_sequences = bench_app.os.environ["BENCH_DATABASE_URL"].split(":")[0] != "mysql+pymysql"

    def scenario(self, n):
        # Every test writes the same UNIQUE names: two processes on one database would
        # wait on each other here.
        for who in ("ann", "bob"):
            user = self.client.post("/users", json={"name": who}).json["id"]
            for i in range(3):
                body = {"title": f"{who} {i}", "body": "lorem ipsum dolor sit amet " * 8}
                response = self.client.post(f"/users/{user}/posts", json=body)
                self.assertEqual(response.status_code, 200)
            for _ in range(2):
                self.assertGreaterEqual(self.client.get("/feed").json["count"], 3)
        if self.reset_sequences:
            self.assertEqual(user, 2)
"""


def suite_module(index: int, classes: int, tests_per_class: int) -> str:
    lines = ["from bench_case import BenchCase", ""]
    for c in range(classes):
        lines.append(f"class Bench{index}_{c}(BenchCase):")
        for t_ in range(tests_per_class):
            lines.append(f"    def test_{t_}(self):\n        self.scenario({t_})\n")
        lines.append("")
    return "\n".join(lines)


def write_suite(root: pathlib.Path, tests: int) -> None:
    modules, classes = 8, 5
    per_class = max(1, tests // (modules * classes))
    (root / "bench_app.py").write_text(textwrap.dedent(APP))
    (root / "bench_case.py").write_text(textwrap.dedent(CASE))
    (root / "pytest.ini").write_text(
        "[pytest]\npython_files = suite_*.py\naddopts = -p no:cacheprovider\n"
    )
    for index in range(modules):
        (root / f"suite_{index}.py").write_text(suite_module(index, classes, per_class))


def databases(backend: str) -> tuple[str, str] | None:
    if backend == "sqlite":
        directory = pathlib.Path(tempfile.gettempdir())
        return (
            f"sqlite:///{directory / 'test_benchpar.db'}",
            f"sqlite:///{directory / 'test_benchpar_audit.db'}",
        )
    base = sa.make_url(POSTGRESQL_URL if backend == "postgresql" else MYSQL_URL)
    try:
        engine = sa.create_engine(base, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for suffix in ("_benchpar", "_benchpar_audit"):
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {base.database}{suffix}")
                connection.exec_driver_sql(f"CREATE DATABASE {base.database}{suffix}")
        engine.dispose()
    except Exception as error:  # not reachable here: skipped
        print(f"  {backend}: skipped ({type(error).__name__}: {str(error).splitlines()[0]})")
        return None
    return tuple(  # type: ignore[return-value]
        base.set(database=f"{base.database}{suffix}").render_as_string(False)
        for suffix in ("_benchpar", "_benchpar_audit")
    )


def drop_all(backend: str, urls: tuple[str, str]) -> None:
    for url in urls:
        drop_copies(url)
        parsed = sa.make_url(url)
        if backend == "sqlite":
            pathlib.Path(parsed.database or "").unlink(missing_ok=True)
            continue
        engine = sa.create_engine(
            parsed.set(
                database=sa.make_url(
                    POSTGRESQL_URL if backend == "postgresql" else MYSQL_URL
                ).database
            ),
            poolclass=sa.NullPool,
            isolation_level="AUTOCOMMIT",
        )
        with engine.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {parsed.database}")
        engine.dispose()


# The variables through which an interpreter finds (or makes) compiled code.
BYTECODE_VARIABLES = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
NO_BYTECODE = " (no bytecode cache)"

RUNS = {
    "pytest -n 0": ([sys.executable, "-m", "pytest", "-q", "-n", "0"], {}),
    "pytest -n 2": ([sys.executable, "-m", "pytest", "-q", "-n", "2"], {}),
    "unittest": ([sys.executable, "-m", "unittest", "discover", "-p", "suite_*.py"], {}),
    "unittest-parallel -j 2": (
        [sys.executable, "-m", "unittest_parallel", "-j", "2", "-p", "suite_*.py"],
        {"TXTEST_PARALLEL": "1"},
    ),
}


def vacuum(urls: tuple[str, str]) -> None:
    """PostgreSQL: VACUUM the main databases and every copy, so that each run starts from
    the same state. Every test inserts the same UNIQUE names and rolls back: the dead
    index entries it leaves make each later UNIQUE check slower until autovacuum runs,
    so without this the runs done later (and the one process, which runs every test on
    one database) would pay for the earlier ones."""
    from flask_txtest.core.parallel.servers import server_for

    for url in urls:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() != "postgresql":
            return
        engine = sa.create_engine(parsed, poolclass=sa.NullPool)
        names = [parsed.database, *server_for(engine).existing_copies()]
        engine.dispose()
        for name in names:
            target = sa.create_engine(
                parsed.set(database=name), poolclass=sa.NullPool, isolation_level="AUTOCOMMIT"
            )
            with target.connect() as connection:
                connection.exec_driver_sql("VACUUM")
            target.dispose()


def run_environment(root: pathlib.Path, urls: tuple[str, str], bytecode: bool) -> dict[str, str]:
    ignored = ("TXTEST_PARALLEL", "PYTEST_XDIST_WORKER", *BYTECODE_VARIABLES)
    env = {k: v for k, v in os.environ.items() if k not in ignored}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT), str(root)]),
        BENCH_DATABASE_URL=urls[0],
        BENCH_AUDIT_URL=urls[1],
    )
    if not bytecode:
        env.update(
            PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="txtest_pyc_")
        )
    return env


def warm_up(root: pathlib.Path, urls: tuple[str, str]) -> None:
    """Fill the bytecode caches the timed runs read: every module the suite imports, and
    pytest's rewritten test modules and plugins."""
    env = run_environment(root, urls, bytecode=True)
    argv = [sys.executable, "-m", "pytest", "-q", "--collect-only"]
    subprocess.run(argv, cwd=root, env=env, capture_output=True, check=True)
    compile_all = [sys.executable, "-m", "compileall", "-q", str(root), str(ROOT / "flask_txtest")]
    subprocess.run(compile_all, env=env, capture_output=True, check=True)


def timed(root: pathlib.Path, name: str, urls: tuple[str, str]) -> float:
    vacuum(urls)
    bytecode = not name.endswith(NO_BYTECODE)
    argv, extra = RUNS[name.removesuffix(NO_BYTECODE)]
    env = {**run_environment(root, urls, bytecode), **extra}
    start = time.perf_counter()
    run = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if not bytecode:
        shutil.rmtree(env["PYTHONPYCACHEPREFIX"], ignore_errors=True)
    if run.returncode != 0:
        raise SystemExit(f"{name} failed:\n{(run.stdout + run.stderr)[-3000:]}")
    return elapsed


def measure(backend: str, root: pathlib.Path, rounds: int) -> dict[str, float] | None:
    urls = databases(backend)
    if urls is None:
        return None
    try:
        for url in urls:
            drop_copies(url)
        warm_up(root, urls)

        def best(name: str) -> float:
            return min(timed(root, name, urls) for _ in range(rounds))

        times: dict[str, float] = {}
        times["pytest -n 0"] = best("pytest -n 0")
        times["pytest -n 2, making copies"] = timed(root, "pytest -n 2", urls)
        times["pytest -n 2"] = best("pytest -n 2")
        times["unittest"] = best("unittest")
        times["unittest-parallel -j 2, making copies"] = timed(root, "unittest-parallel -j 2", urls)
        times["unittest-parallel -j 2"] = best("unittest-parallel -j 2")
        for name in ("pytest -n 0", "pytest -n 2"):
            times[name + NO_BYTECODE] = best(name + NO_BYTECODE)
        return times
    finally:
        drop_all(backend, urls)


def baseline(name: str) -> str:
    """The one-process run a run's speedup is measured against."""
    runner = "pytest -n 0" if name.startswith("pytest") else "unittest"
    return runner + (NO_BYTECODE if name.endswith(NO_BYTECODE) else "")


def report(backend: str, tests: int, times: dict[str, float]) -> None:
    print(f"\n{backend}: {tests} tests, wall time (best of the rounds), speedup over one process")
    print("| run | seconds | speedup |\n|---|---|---|")
    for name, seconds in times.items():
        print(f"| {name} | {seconds:.2f} | {times[baseline(name)] / seconds:.2f}x |")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick = bool(os.environ.get("BENCH_QUICK"))
    parser.add_argument("--tests", type=int, default=80 if quick else 400)
    parser.add_argument("--rounds", type=int, default=1 if quick else 2)
    parser.add_argument("--backends", default="sqlite,postgresql,mysql")
    args = parser.parse_args(argv)
    root = pathlib.Path(tempfile.mkdtemp(prefix="txtest_bench_parallel_"))
    try:
        write_suite(root, args.tests)
        tests = len(list(root.glob("suite_*.py"))) * 5 * max(1, args.tests // 40)
        print(f"flask_txtest parallel benchmark: {os.cpu_count()} cores")
        for backend in args.backends.split(","):
            times = measure(backend.strip(), root, args.rounds)
            if times is not None:
                report(backend.strip(), tests, times)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
