"""The Django peer: its own venv (built on first use), the same PostgreSQL server.

Django's ``TestCase`` and a bare Django run go through the same test body in a
subprocess (benchmarks/django_suite/run_django.py), on the database ``<name>_django``
of the server at ``TXTEST_POSTGRESQL_URL``, which Django's test-database creation
makes when it is missing.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import typing as t

import sqlalchemy as sa

from .settings import Settings

HERE = pathlib.Path(__file__).resolve().parent
VENV = HERE / ".venv-django"
SCRIPT = HERE / "django_suite" / "run_django.py"
REQUIREMENTS = ("django>=4.2,<6", "psycopg[binary]>=3.1")


def ensure_venv() -> pathlib.Path:
    """Build benchmarks/.venv-django with Django and psycopg unless it is there."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".stamp"
    wanted = "\n".join(REQUIREMENTS)
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"  building {VENV.relative_to(HERE.parent)} ({', '.join(REQUIREMENTS)})")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *REQUIREMENTS],
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode != 0:
        print(installed.stdout + installed.stderr, file=sys.stderr)
        installed.check_returncode()
    stamp.write_text(wanted)
    return python


def database_settings(url: str) -> dict[str, t.Any]:
    parsed = sa.make_url(url)
    return {
        "NAME": parsed.database,
        "USER": parsed.username or "",
        "PASSWORD": parsed.password or "",
        "HOST": parsed.host or "",
        "PORT": str(parsed.port or ""),
        "TEST": {"NAME": f"{parsed.database}_django"},
    }


def measure(url: str, chosen: Settings) -> dict[str, t.Any]:
    """Per-test statistics of Django TestCase and Django bare, or why they are missing."""
    try:
        python = ensure_venv()
    except subprocess.CalledProcessError as error:
        return {"skipped": f"could not build the Django venv: {error}"}
    config = {
        "database": database_settings(url),
        "tests": chosen.tests,
        "rounds": chosen.rounds,
        "warmup": chosen.warmup,
    }
    done = subprocess.run(
        [str(python), str(SCRIPT), json.dumps(config)],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
        timeout=900,
    )
    if done.returncode != 0:
        return {"skipped": f"the Django run failed (exit {done.returncode}); see its output"}
    return t.cast(dict[str, t.Any], json.loads(done.stdout.strip().splitlines()[-1]))
