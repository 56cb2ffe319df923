"""An Alchemical app (``alchemical.flask``): a wrapper that registers no extension.

``EARLY_SESSION`` is ``db.Session`` read at import time, before ``init_app``: a
sessionmaker bound to no engine, which ``init_app`` then replaces.
"""

from __future__ import annotations

import typing as t

from alchemical.flask import Alchemical
from flask import Flask

db: t.Any = Alchemical()
EARLY_SESSION = db.Session


def make_app(url: str) -> Flask:
    app = Flask(__name__)
    app.config["ALCHEMICAL_DATABASE_URL"] = url
    db.init_app(app)
    return app
