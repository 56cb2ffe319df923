"""The class-level transaction, class data (``setUpTestData``) and fixed ids.

Each test class holds a transaction per database, opened before its first test and
rolled back after its last one; class data is made in it. Each test's isolation then
opens a savepoint inside it (``_isolation._open_test_layer``), so every test starts
from the class data as it was made, whatever the previous test changed.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import inspect
import typing as t
import weakref

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from ..core.app_config import restored_config
from ..core.isolate import isolate_targets
from ..core.isolation import is_broken
from ..core.patching import pinned_connection
from ..core.result import Isolation
from ..core.targets import Targets
from ..errors import ConfigurationError, TxtestError
from ..wire import sequences

_CLASS_LAYER = "_txtest_class_layer"
_MEMO = "_txtest_test_data_memo"
#: The class data names a test has read (and so holds copies of).
_CACHED = "_txtest_test_data_read"


def _is_mapped(value: t.Any) -> bool:
    state = sa.inspect(value, raiseerr=False)
    return isinstance(state, sa_orm.InstanceState)


def _holds_mapped(value: t.Any) -> bool:
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds_mapped(each) for each in value)
    if isinstance(value, dict):
        return any(_holds_mapped(each) for each in value.values())
    return _is_mapped(value)


def _attach(value: t.Any, session: t.Any, memo: dict[t.Any, t.Any]) -> t.Any:
    """``value`` with every ORM object replaced by its copy in ``session``."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_attach(each, session, memo) for each in value)
    if isinstance(value, dict):
        return {key: _attach(each, session, memo) for key, each in value.items()}
    if not _is_mapped(value):
        return value
    key = sa.inspect(value).key
    if key is None:
        raise ConfigurationError(
            f"setUpTestData left {value!r} unsaved (no primary key): add it to the session "
            "and commit (or flush) it in setUpTestData, or keep it out of class attributes."
        )
    if key not in memo:
        sync_session = getattr(session, "sync_session", session)
        existing = sync_session.identity_map.get(key)
        # load=False copies the loaded state without SQL; what was not loaded loads
        # on first access, from this test's transaction.
        memo[key] = existing if existing is not None else sync_session.merge(value, load=False)
    return memo[key]


class TestData:
    """Class data that every test gets as its own copy, bound to the test's session.

    Tests may change class data (rename ``self.alice``, delete her): the database undoes
    that with the test's savepoint, and this descriptor makes sure no test sees the
    Python objects an earlier test changed, nor objects detached from a closed session.
    """

    def __init__(self, name: str, value: t.Any) -> None:
        self.name = name
        self.value = value

    def __get__(self, instance: t.Any, owner: type[t.Any] | None = None) -> t.Any:
        if instance is None:
            return self.value
        session = instance.__dict__.get("session")
        if session is None:
            raise ConfigurationError(
                f"{type(instance).__qualname__}.{self.name} is class data from "
                "setUpTestData(); it is usable inside a test (from setUp() to the "
                "cleanups), where it is bound to the test's session."
            )
        memo = instance.__dict__.setdefault(_MEMO, {})
        copy = _attach(self.value, session, memo)
        instance.__dict__[self.name] = copy  # the same object for the rest of the test
        instance.__dict__.setdefault(_CACHED, []).append(self.name)
        return copy


def _commit_class_sessions(targets: Targets) -> None:
    """Keep what ``setUpTestData`` added but did not commit, objects still loaded."""
    sessions: list[t.Any] = []
    if targets.db is not None and hasattr(targets.db, "session"):
        sessions.append(targets.db.session)
    sessions.extend(scoped() for scoped in targets.scoped_sessions)
    for session in sessions:
        session = session() if isinstance(session, sa_orm.scoped_session) else session
        expire_on_commit = session.expire_on_commit
        # Unexpired objects can be copied into each test's session without SQL.
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire_on_commit


def mapped_in(value: t.Any) -> cabc.Iterator[t.Any]:
    if isinstance(value, (list, tuple, set, frozenset)):
        for each in value:
            yield from mapped_in(each)
    elif isinstance(value, dict):
        for each in value.values():
            yield from mapped_in(each)
    elif _is_mapped(value):
        yield value


def _load_expired(values: cabc.Iterable[t.Any]) -> None:
    """Load class data a commit expired, one query per class, while it has a session.

    Each test then gets loaded copies (no query per object per test).
    """
    expired: dict[tuple[t.Any, sa_orm.Mapper[t.Any]], list[t.Any]] = {}
    for value in values:
        for obj in mapped_in(value):
            state = sa.inspect(obj)
            if state.session is not None and state.key is not None and state.expired_attributes:
                expired.setdefault((state.session, state.mapper), []).append(obj)
    for (session, mapper), objects in expired.items():
        primary_key = mapper.primary_key
        if len(primary_key) != 1:
            for obj in objects:
                session.refresh(obj)
            continue
        ids = [sa.inspect(obj).identity[0] for obj in objects]
        for start in range(0, len(ids), 500):  # within every driver's parameter limit
            query = sa.select(mapper).where(primary_key[0].in_(ids[start : start + 500]))
            session.scalars(query.execution_options(populate_existing=True)).all()


def has_class_data(cls: type[t.Any]) -> bool:
    """Whether ``cls`` defines its own ``setUpTestData``."""
    return cls.setUpTestData.__func__ is not ClassDataMixin.setUpTestData.__func__  # type: ignore[attr-defined]


def makes_data_async(cls: type[t.Any]) -> bool:
    """Whether ``cls.setUpTestData`` is ``async def`` (the async test cases run it)."""
    return inspect.iscoroutinefunction(cls.setUpTestData)


class ClassDataMixin:
    """``setUpTestData`` and ``reset_sequences``; part of ``TransactionalMixin``."""

    #: Each test's ids start where the schema step (and class data) left them.
    reset_sequences: t.ClassVar[bool] = False
    #: One transaction per class, each test a savepoint in it (else one per test).
    _txtest_transaction_per_class: t.ClassVar[bool] = True
    #: Whether an ``async def setUpTestData`` is run (by the async test cases).
    _txtest_runs_async_class_data: t.ClassVar[bool] = False
    app_scope: t.ClassVar[str]

    @classmethod
    def setUpTestData(cls) -> None:
        """Make data once per class, inside a transaction rolled back after the class.

        Runs in an app context before the first test. ORM objects assigned to class
        attributes (``cls.alice = Person(...)``) are seen by each test as fresh
        instances of its own session (``self.alice``); what a test changes is undone
        before the next one.
        """

    def _txtest_open_class_data(self, app: Flask, targets: Targets) -> None:
        """Before a test: make sure its class's transaction is open (and its data made).

        Every class with ``app_scope = "class"`` holds one connection and transaction per
        database for all its tests; each test is a savepoint inside it, as Django's
        ``TestCase`` does. A class with ``app_scope = "test"`` has no class layer.
        """
        cls = type(self)
        has_data = has_class_data(cls)
        if has_data and makes_data_async(cls) and not cls._txtest_runs_async_class_data:
            raise ConfigurationError(
                f"{cls.__qualname__}.setUpTestData is 'async def', which only an async test "
                "case can await. Subclass AsyncTransactionalTestCase (or put "
                "AsyncTransactionalMixin first in the bases), or make setUpTestData a plain "
                "classmethod."
            )
        if cls.app_scope != "class" or not (has_data or cls._txtest_transaction_per_class):
            if has_data:
                raise ConfigurationError(
                    f"{cls.__qualname__} defines setUpTestData(), which makes data once per "
                    f"class, but app_scope is {cls.app_scope!r}: one app per test has no "
                    "class to share it. Use app_scope = 'class' (the default)."
                )
            return
        layer = cls.__dict__.get(_CLASS_LAYER)
        if layer is not None and layer.broken:
            # An earlier test ended or lost the class transaction (and failed for it):
            # the class goes on in a fresh one.
            layer.close()
            layer = None
        if layer is None:
            # An async setUpTestData runs on the async side (_async_class_data).
            run_here = has_data and not makes_data_async(cls)
            _open_class_layer(cls, app, targets, run_set_up_test_data=run_here)
        if has_data:
            # Each test's copies go with the test, not with the result that keeps the test.
            self.addCleanup(_forget_test_data, self)  # type: ignore[attr-defined]

    @contextlib.contextmanager
    def _txtest_class_layers_ended_after(self) -> cabc.Iterator[None]:
        """``debug()``: a class transaction the test opened ends when it passes.

        ``TestCase.debug()`` runs no class cleanups, so it would stay open, its engines
        pinned. A failing test propagates its error with everything left open, as
        unittest leaves it for a debugger (its cleanups and the class's still undo it).
        """
        cls = type(self)
        before = cls.__dict__.get(_CLASS_LAYER)
        yield
        layer = cls.__dict__.get(_CLASS_LAYER)
        if layer is not None and layer is not before:
            layer.close()

    def _txtest_reset_sequences(self, stack: contextlib.ExitStack, isolation: Isolation) -> None:
        """Inside the test transaction: ids of the app's tables start where they were."""
        cls = type(self)
        if cls.reset_sequences:
            layer = cls.__dict__.get(_CLASS_LAYER)
            restarts = None if layer is None else layer.sequence_restarts
            reset_pinned_sequences(stack, isolation.targets, cls.__qualname__, restarts)


def reset_pinned_sequences(
    stack: contextlib.ExitStack | contextlib.AsyncExitStack,
    targets: Targets,
    name: str,
    restarts: dict[t.Hashable, t.Any] | None,
    *,
    async_side: bool = False,
) -> None:
    """Restart the sequences of the pinned test connections until ``stack`` closes.

    :param async_side: the async engines' connections (run it in ``greenlet_spawn``)
        instead of the sync engines'.
    """
    if not targets.metadatas:
        raise ConfigurationError(
            f"{name}.reset_sequences needs to know the app's tables: set "
            "metadata = Base.metadata (the MetaData of your models)."
        )
    by_connection: dict[int, tuple[sa.Connection, list[sa.Table]]] = {}
    for metadata, engine in targets.metadatas:
        if isinstance(engine, sa.Engine) == async_side:
            continue  # the other side's engine
        sync_engine = engine if isinstance(engine, sa.Engine) else engine.sync_engine
        connection = pinned_connection(sync_engine)
        if connection is None:  # pragma: no cover - every target engine is pinned
            continue
        entry = by_connection.setdefault(id(connection), (connection, []))
        entry[1].extend(_tables_of(metadata))
    for connection, tables in by_connection.values():
        sequences.start_resetting(connection, tables, restarts)
        stack.callback(sequences.stop_resetting, connection)


# MetaData -> (its table count, its tables): sorted_tables sorts on every call.
_tables: weakref.WeakKeyDictionary[sa.MetaData, tuple[int, list[sa.Table]]] = (
    weakref.WeakKeyDictionary()
)


def _tables_of(metadata: sa.MetaData) -> list[sa.Table]:
    cached = _tables.get(metadata)
    if cached is None or cached[0] != len(metadata.tables):
        cached = _tables[metadata] = (len(metadata.tables), metadata.sorted_tables)
    return cached[1]


class _ClassLayer:
    """The open class transaction, and what is worked out once inside it."""

    def __init__(self, stack: contextlib.ExitStack, isolation: Isolation) -> None:
        self.stack = stack
        self.isolation = isolation
        #: reset_sequences: the first ids after the class data.
        self.sequence_restarts: dict[t.Hashable, t.Any] = {}
        #: Undoes the layer: closes the transaction, puts the class back as it was.
        self.close: t.Callable[[], None] = stack.close

    @property
    def broken(self) -> bool:
        return any(is_broken(connection) for connection in self.isolation.connections.values())


class _Missing:
    pass


_MISSING = _Missing()


def _open_class_layer(
    cls: type[t.Any], app: Flask, targets: Targets, *, run_set_up_test_data: bool
) -> None:
    stack = contextlib.ExitStack()
    before = dict(cls.__dict__)
    try:
        # What setUpTestData sets in app.config lasts for the class's tests, no longer.
        stack.enter_context(restored_config(app))
        isolation = stack.enter_context(isolate_targets(targets, app))
        if run_set_up_test_data:
            _make_class_data(cls, app, targets, before)
    except BaseException:
        restore_class(cls, before)
        stack.close()
        raise
    layer = _ClassLayer(stack, isolation)
    setattr(cls, _CLASS_LAYER, layer)
    closed = False

    def close_class_layer() -> None:
        nonlocal closed
        if closed:
            return
        closed = True
        try:
            if layer.broken:
                # The test that broke it has failed and said why; the class ends quietly.
                with contextlib.suppress(TxtestError):
                    stack.close()
            else:
                stack.close()
        finally:
            restore_class(cls, before)

    layer.close = close_class_layer
    # Runs after the class's last test, under unittest and pytest alike.
    cls.addClassCleanup(close_class_layer)


def _make_class_data(
    cls: type[t.Any], app: Flask, targets: Targets, before: dict[str, t.Any]
) -> None:
    with contextlib.ExitStack() as making, app.app_context():
        if cls.reset_sequences:  # class data gets the same ids in every run too
            reset_pinned_sequences(making, targets, cls.__qualname__, None)
        cls.setUpTestData()
        _commit_class_sessions(targets)
        made = new_class_data(cls, before)
        _load_expired(made.values())
    keep_as_test_data(cls, made)


def new_class_data(cls: type[t.Any], before: dict[str, t.Any]) -> dict[str, t.Any]:
    """The class attributes holding ORM objects that were set since ``before``."""
    return {
        name: value
        for name, value in cls.__dict__.items()
        if before.get(name, _MISSING) is not value and _holds_mapped(value)
    }


def keep_as_test_data(cls: type[t.Any], values: dict[str, t.Any]) -> None:
    """Give every test its own copies of ``values`` (see ``TestData``)."""
    for name, value in values.items():
        setattr(cls, name, TestData(name, value))


def _forget_test_data(test: t.Any) -> None:
    test.__dict__.pop(_MEMO, None)
    for name in test.__dict__.pop(_CACHED, ()):
        test.__dict__.pop(name, None)


def restore_class(cls: type[t.Any], before: dict[str, t.Any]) -> None:
    """Put back the class attributes that ``setUpTestData`` (or the layer) set."""
    for name, value in list(cls.__dict__.items()):
        if before.get(name, _MISSING) is value:
            continue
        if name in before:
            setattr(cls, name, before[name])
        elif isinstance(value, TestData) or name == _CLASS_LAYER or _holds_mapped(value):
            delattr(cls, name)
