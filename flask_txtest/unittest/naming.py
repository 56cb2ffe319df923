"""The test cases' words for core's messages: their class attributes.

Core names no option itself (``core.naming``); a test case's messages say
``isolate_engines``, as the user wrote it on the class.
"""

from __future__ import annotations

from ..core.naming import Naming

#: ``TransactionalTestCase`` / ``AsyncTransactionalTestCase``: class attributes.
TESTCASE = Naming(
    engines="isolate_engines",
    sessionmakers="isolate_sessionmakers",
    async_engines="async_engines",
    async_sessionmakers="async_sessionmakers",
    async_engine_goes="An AsyncEngine goes in async_engines, on an AsyncTransactionalTestCase.",
    async_factory_goes="An async_sessionmaker goes in async_sessionmakers, on an async test case.",
    sync_engine_goes="A sync Engine goes in isolate_engines.",
    sync_factory_goes="A sync sessionmaker goes in isolate_sessionmakers.",
    alchemical=(
        "with Alchemical: isolate_sessionmakers = ['myapp:db.Session'] and "
        "metadata = db.Model.metadata"
    ),
    set_metadata=(
        "Set metadata = Base.metadata (the MetaData of your models; with Alchemical: "
        "metadata = db.Model.metadata)"
    ),
    replace_schema_step="override create_schema to run your migrations",
    at_the_end="in tearDown",
    reset_sequences="reset_sequences",
)
