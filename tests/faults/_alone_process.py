"""A test process on one database, for tests/faults/test_alone.py (run as a script).

``python -m tests.faults._alone_process URL MODE``: isolates URL's database and writes
the same UNIQUE value every such process writes, then, by MODE: ``hold`` waits for a
line on stdin; ``try`` ends at once; ``parent`` runs a ``try`` child while it holds
(which writes a value of its own, the third argument).
Prints ``isolated`` or the ConfigurationError it got.
"""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa

from flask_txtest import ConfigurationError, isolate

metadata = sa.MetaData()
marks = sa.Table(
    "alone_mark",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20), unique=True),
)


def main(url: str, mode: str, value: str = "the same") -> None:
    # A second writer of the same UNIQUE value waits for the first: a second, not forever.
    timeouts = {"postgresql": {"options": "-c lock_timeout=1000"}}
    timeouts["mysql"] = {"init_command": "SET innodb_lock_wait_timeout = 1"}
    engine = sa.create_engine(url, connect_args=timeouts[sa.make_url(url).get_backend_name()])
    try:
        with isolate(engines=[engine], metadata=metadata), engine.begin() as connection:
            connection.execute(marks.insert().values(name=value))
            print("isolated", flush=True)
            if mode == "hold":
                sys.stdin.readline()
            elif mode == "parent":
                # The child writes a value of its own: the same one would wait on ours.
                child = [sys.executable, "-m", __spec__.name, url, "try", "the child's"]
                print(subprocess.run(child, capture_output=True, text=True).stdout, flush=True)
    except ConfigurationError as error:
        print(f"ConfigurationError: {error}", flush=True)
    except sa.exc.OperationalError as error:
        print(f"OperationalError: {error.orig}", flush=True)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
