"""Drop the copies of main databases: ``python -m flask_txtest.core.parallel.cleanup URL...``.

For runners whose workers never end normally (unittest-parallel's pool terminates them),
and for CI: every copy of each main database given (``<name>_gw<n>``, ``<name>_<n>``) is
dropped, whichever process made it.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa

from .servers import server_for


def drop_copies(url: str | sa.URL) -> list[str]:
    """Drop every copy of the database at ``url``; return their names."""
    engine = sa.create_engine(url)
    try:
        server = server_for(engine)
        dropped = server.existing_copies()
        for copy in dropped:
            server.drop(copy)
        server.forget_locks()
        return dropped
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    for url in argv:
        for copy in drop_copies(url):
            print(f"dropped {copy}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
