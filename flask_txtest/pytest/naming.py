"""The pytest plugin's words for core's messages: its ini options.

Core names no option itself (``core.naming``); under the plugin its messages name the
``mocked-*`` and ``txtest_*`` options of the pytest configuration.
"""

from __future__ import annotations

from ..core.naming import Naming

#: The plugin's fixtures: the pytest configuration's options.
PYTEST = Naming(
    engines="mocked-engines",
    sessionmakers="mocked-sessionmakers",
    async_engine_goes=(
        "The pytest plugin's fixtures are sync and do not isolate an AsyncEngine; "
        "flask_txtest's async test cases do (async_engines)."
    ),
    async_factory_goes=(
        "The pytest plugin's fixtures are sync and do not isolate an async_sessionmaker; "
        "flask_txtest's async test cases do (async_sessionmakers)."
    ),
    alchemical=(
        "with Alchemical: mocked-sessionmakers = myapp.db.Session and "
        "txtest_metadata = myapp.db.Model.metadata"
    ),
    set_metadata=(
        "Set txtest_metadata = myapp.models.Base.metadata in the pytest configuration "
        "(the MetaData of your models; with Alchemical: myapp.db.Model.metadata)"
    ),
    replace_schema_step=(
        "run your migrations in a session-scoped fixture that your app fixture depends on"
    ),
    at_the_end="in the fixture's teardown",
    reset_sequences="txtest_reset_sequences",
)
