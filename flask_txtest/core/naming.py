"""The caller's words in core's messages: how the user names what core reports on.

Core serves callers that spell their options differently (``isolate(engines=...)``, a
test case's ``isolate_engines``, the pytest plugin's ``mocked-engines``), so it never
names an option itself: each caller hands it a :class:`Naming`, carried on the
``Targets`` it isolates, and core's messages read it.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Naming:
    """How one caller names its options, for the error messages of core."""

    #: The extra engines, as the user writes them: ``"engines="``, ``"isolate_engines"``.
    engines: str
    #: The extra session factories: ``"sessionmakers="``, ``"isolate_sessionmakers"``.
    sessionmakers: str
    #: A sentence: where an ``AsyncEngine`` given among the sync engines goes.
    async_engine_goes: str
    #: A sentence: where an ``async_sessionmaker`` given among the sync ones goes.
    async_factory_goes: str
    #: The Alchemical setup, e.g. ``"with Alchemical: sessionmakers=[...] and ..."``.
    alchemical: str
    #: A sentence start: how to tell the schema step the app's tables.
    set_metadata: str
    #: How to replace the schema step, e.g. ``"pass create_schema=..."``.
    replace_schema_step: str
    #: Where the user stops what must not outlive the isolation: ``"in tearDown"``.
    at_the_end: str
    #: How the user asked for ``reset_sequences``: ``"isolate(reset_sequences=True)"``.
    reset_sequences: str
    #: The async engines and session factories, for callers that isolate them.
    async_engines: str | None = None
    async_sessionmakers: str | None = None
    #: Sentences: where a sync ``Engine`` / ``sessionmaker`` given among async ones goes.
    sync_engine_goes: str = ""
    sync_factory_goes: str = ""


#: ``isolate()``'s words: its keyword arguments.
ISOLATE = Naming(
    engines="engines=",
    sessionmakers="sessionmakers=",
    async_engine_goes=(
        "isolate() is sync and does not isolate an AsyncEngine; the async test "
        "cases do (async_engines)."
    ),
    async_factory_goes=(
        "isolate() is sync and does not isolate an async_sessionmaker; the async test "
        "cases do (async_sessionmakers)."
    ),
    alchemical="with Alchemical: sessionmakers=['myapp:db.Session'] and metadata=db.Model.metadata",
    set_metadata=(
        "Pass metadata=Base.metadata (the MetaData of your models; with Alchemical: "
        "metadata=db.Model.metadata)"
    ),
    replace_schema_step="pass create_schema=a function that runs your migrations",
    at_the_end="before the isolate() block ends",
    reset_sequences="isolate(reset_sequences=True)",
)


#: ``isolate_async()``'s words: its keyword arguments.
ISOLATE_ASYNC = Naming(
    engines="engines=",
    sessionmakers="sessionmakers=",
    async_engines="async_engines=",
    async_sessionmakers="async_sessionmakers=",
    async_engine_goes="An AsyncEngine goes in async_engines= of isolate_async().",
    async_factory_goes="An async_sessionmaker goes in async_sessionmakers= of isolate_async().",
    sync_engine_goes="A sync Engine goes in engines= (or in isolate()).",
    sync_factory_goes="A sync sessionmaker goes in sessionmakers= (or in isolate()).",
    alchemical="with Alchemical: sessionmakers=['myapp:db.Session'] and metadata=db.Model.metadata",
    set_metadata=(
        "Pass metadata=Base.metadata (the MetaData of your models; with Alchemical: "
        "metadata=db.Model.metadata)"
    ),
    replace_schema_step="pass create_schema=a function that runs your migrations",
    at_the_end="before the isolate_async() block ends",
    # isolate_async() takes no reset_sequences; the async test cases do.
    reset_sequences="AsyncTransactionalTestCase.reset_sequences",
)
