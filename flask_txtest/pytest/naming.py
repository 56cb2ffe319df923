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
    async_engines="txtest_async_engines",
    async_sessionmakers="txtest_async_sessionmakers",
    async_engine_goes=(
        "An AsyncEngine goes in txtest_async_engines (the txtest_async_* fixtures isolate it)."
    ),
    async_factory_goes=(
        "An async_sessionmaker goes in txtest_async_sessionmakers (the txtest_async_* "
        "fixtures isolate it)."
    ),
    sync_engine_goes="A sync Engine goes in mocked-engines.",
    sync_factory_goes="A sync sessionmaker goes in mocked-sessionmakers.",
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
