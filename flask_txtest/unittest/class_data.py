"""``setUpTestData`` and ``reset_sequences`` for the TestCase: glue over the class transaction.

Each test class holds a transaction per database, opened before its first test and
rolled back after its last one (``core.class_transaction``); class data is made in it.
Each test's isolation then opens a savepoint inside it, so every test starts from the
class data as it was made, whatever the previous test changed.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import inspect
import typing as t

from flask import Flask

from ..core.class_transaction.copies import fresh_copy
from ..core.class_transaction.layer import (
    SyncClassLayer,
    held_class_layer,
    open_class_layer,
)
from ..core.pinned_sequences import reset_pinned_sequences
from ..core.result import Isolation
from ..core.targets import Targets
from ..errors import ConfigurationError

#: The class's layer on the sync engines, while it is open.
CLASS_LAYER = "_txtest_class_layer"
_MEMO = "_txtest_test_data_memo"
#: The class data names a test has read (and so holds copies of).
_CACHED = "_txtest_test_data_read"


def unsaved(obj: t.Any) -> ConfigurationError:
    return ConfigurationError(
        f"setUpTestData left {obj!r} unsaved (no primary key): add it to the session "
        "and commit (or flush) it in setUpTestData, or keep it out of class attributes."
    )


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
        copy = fresh_copy(self.value, session, memo, unsaved)
        instance.__dict__[self.name] = copy  # the same object for the rest of the test
        instance.__dict__.setdefault(_CACHED, []).append(self.name)
        return copy


def _forget_test_data(test: t.Any) -> None:
    test.__dict__.pop(_MEMO, None)
    for name in test.__dict__.pop(_CACHED, ()):
        test.__dict__.pop(name, None)


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
        if held_class_layer(cls, CLASS_LAYER) is None:
            # An async setUpTestData runs on the async side (unittest.async_class_data).
            run_here = has_data and not makes_data_async(cls)
            make = _making(cls, targets) if run_here else None
            layer = open_class_layer(cls, CLASS_LAYER, app, targets, make, TestData)
            # Runs after the class's last test, under unittest and pytest alike.
            cls.addClassCleanup(layer.close)  # type: ignore[attr-defined]
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
        before = cls.__dict__.get(CLASS_LAYER)
        yield
        layer: SyncClassLayer | None = cls.__dict__.get(CLASS_LAYER)
        if layer is not None and layer is not before:
            layer.close()

    def _txtest_reset_sequences(self, stack: contextlib.ExitStack, isolation: Isolation) -> None:
        """Inside the test transaction: ids of the app's tables start where they were."""
        cls = type(self)
        if cls.reset_sequences:
            layer: SyncClassLayer | None = cls.__dict__.get(CLASS_LAYER)
            restarts = None if layer is None else layer.sequence_restarts
            reset_pinned_sequences(
                stack, isolation.targets, f"{cls.__qualname__}.reset_sequences", restarts
            )


def _making(cls: type[t.Any], targets: Targets) -> cabc.Callable[[contextlib.ExitStack], None]:
    """The class's data step: ``setUpTestData`` (its ids the same in every run too)."""

    def make(making: contextlib.ExitStack) -> None:
        if cls.reset_sequences:
            reset_pinned_sequences(making, targets, f"{cls.__qualname__}.reset_sequences", None)
        cls.setUpTestData()

    return make
