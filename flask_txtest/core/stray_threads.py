"""Threads a test left running: reported when the test ends, refused afterwards.

A thread the test started (a view's background job, a ``threading.Timer``) shares the
test connection while the test runs. If it is still running when the test ends, what it
writes next would land in a later test's transaction, or, once the engine is unpinned,
be committed for good. So, when an isolation ends:

- Threads started during it that are still alive and ran statements on an isolated
  database are joined for a short, bounded time (``JOIN_SECONDS`` in all), so that the
  unit of work they were in ends inside the test transaction and is rolled back with it;
  then the test fails with an ``IsolationError`` naming them: join them in the test.
- Every thread started during it that is still alive from then on is refused: a statement
  it sends on any isolated engine (pinned to a later test, or not pinned at all), and a
  connection it takes from such an engine's pool, raise an ``IsolationError`` in that
  thread, so nothing it writes reaches the database.

Workers of thread pools (``concurrent.futures``, so asyncio's executor and asgiref's) are
left alone: they serve every test in turn and are idle between tasks. So are the threads
of the live server (``serves_every_test``), which follows its requests itself
(``core.live_server``) and has a request that outlived its test refused from here
(``refuse`` / ``refuse_no_more``).
"""

from __future__ import annotations

import collections.abc as cabc
import concurrent.futures.thread
import threading
import time
import typing as t
import weakref

import sqlalchemy as sa
from sqlalchemy import event

from ..errors import IsolationError
from .naming import Naming
from .urls import safe_url

#: How long, in all, the end of a test waits for the threads it left running.
JOIN_SECONDS = 1.0

# The registry of concurrent.futures' worker threads (private, stable since Python 3.9):
# there is no public way to tell a pool's idle worker from a thread left running.
_POOL_WORKERS: t.Any = getattr(
    concurrent.futures.thread,
    "_threads_queues",  # relies on: concurrent.futures.thread._threads_queues
    None,
)
if _POOL_WORKERS is None:  # pragma: no cover - a loud failure if CPython moves it
    raise ImportError(
        "flask_txtest needs concurrent.futures.thread._threads_queues to tell thread-pool "
        "workers from threads a test left running; this Python does not have it."
    )


def _is_pool_worker(thread: threading.Thread) -> bool:
    return thread in _POOL_WORKERS


class ThreadWatch:
    """The threads of one isolation: those that existed at its start, those that ran
    statements on its databases."""

    def __init__(self) -> None:
        self.opener = threading.get_ident()
        self.existing = set(threading.enumerate())
        #: Thread ident -> the thread, for threads other than the opener's that ran a
        #: statement on an isolated engine during the isolation.
        self.used: dict[int, threading.Thread] = {}


# Process-wide by nature, as threads are: the statement listener runs in whichever
# thread sends the statement and must find every isolation running now, and a thread
# left running stays refused after the isolation that left it has ended.
#: The isolations running now, innermost last.
_active: list[ThreadWatch] = []
#: Thread ident -> the thread, for threads a test left running: refused from then on.
_left_running: dict[int, threading.Thread] = {}
#: Thread ident -> what it was doing, for threads refused by ``refuse`` (a live server's
#: request that outlived its test).
_described: dict[int, tuple[str, str]] = {}
#: Threads that serve every test in turn (the live server's): never reported here.
_serving: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def serves_every_test(thread: threading.Thread) -> None:
    """Leave ``thread`` alone at the end of every isolation: its owner follows its work."""
    _serving.add(thread)


def refuse(thread: threading.Thread, description: str, fix: str) -> None:
    """Refuse ``thread``'s statements and connections from now on (its test has ended).

    :param description: what the thread is doing, for the refusal's message.
    :param fix: a sentence: how to keep it from outliving its test.
    """
    if thread.ident is not None:
        _left_running[thread.ident] = thread
        _described[thread.ident] = (description, fix)


def refuse_no_more(thread: threading.Thread) -> None:
    """Undo ``refuse``: the thread's work for the ended test is over."""
    if thread.ident is not None:
        _left_running.pop(thread.ident, None)
        _described.pop(thread.ident, None)


def _refused(thread: threading.Thread, engine: sa.Engine) -> IsolationError:
    described = _described.get(thread.ident or 0)
    if described is not None:
        description, fix = described
        return IsolationError(
            f"{description} tried to run a statement on {safe_url(engine)}; it was refused, "
            f"so nothing it writes reaches the database or a later test. {fix}"
        )
    return IsolationError(
        f"A thread left running by a test that has ended ({thread.name!r}) tried to run a "
        f"statement on {safe_url(engine)}; it was refused, so nothing it writes reaches the "
        "database or a later test. Join the thread (thread.join()) before its test ends."
    )


def _refuse_if_left_running(engine: sa.Engine) -> None:
    if _left_running:
        thread = _left_running.get(threading.get_ident())
        # The same thread, not a new one that was given a dead one's ident.
        if thread is not None and thread is threading.current_thread():
            raise _refused(thread, engine)


def _before_cursor_execute(connection: sa.Connection, *args: t.Any) -> None:
    _refuse_if_left_running(connection.engine)
    ident = threading.get_ident()
    for watch in _active:
        if ident != watch.opener and ident not in watch.used:
            watch.used[ident] = threading.current_thread()


def _refuse_checkout(engine: sa.Engine) -> cabc.Callable[..., None]:
    """A pool ``checkout`` listener: no connection at all for a thread left running, so
    raw DBAPI code (``engine.raw_connection()`` once unpinned) cannot write either."""

    def checkout(*args: t.Any) -> None:
        _refuse_if_left_running(engine)

    return checkout


def _listen(engine: sa.Engine) -> None:
    if not event.contains(engine, "before_cursor_execute", _before_cursor_execute):
        # First, so that a refused statement never takes the test connection's lock.
        event.listen(engine, "before_cursor_execute", _before_cursor_execute, insert=True)
        if not isinstance(engine.pool, sa.pool.StaticPool):
            # A refused checkout invalidates the connection: a StaticPool's is the only
            # one (an in-memory database), and statements are refused anyway.
            event.listen(engine, "checkout", _refuse_checkout(engine))


def _left_running_error(
    reported: list[tuple[threading.Thread, bool]], naming: Naming
) -> IsolationError:
    names = "\n  - ".join(
        f"{thread.name!r} ({'still running' if alive else 'finished while the test waited'})"
        for thread, alive in reported
    )
    return IsolationError(
        "The test left threads running that use the database:\n"
        f"  - {names}\n"
        f"They were given up to {JOIN_SECONDS:g} s to finish inside the test transaction; "
        "what they write after that is refused. Join each thread before the test ends "
        "(thread.join(), as a test does before it checks what the thread wrote), or stop it "
        f"{naming.at_the_end}."
    )


def watch_threads(
    engines: cabc.Iterable[sa.Engine], naming: Naming
) -> tuple[cabc.Callable[[], None], cabc.Callable[[], None]]:
    """Start watching the threads of an isolation.

    :return: the check that ends the watch (it raises for threads left running), and
        the undo that only stops watching (for an isolation that failed to open).
    """
    for engine in engines:
        _listen(engine)
    watch = ThreadWatch()
    _active.append(watch)

    def forget() -> None:
        if watch in _active:
            _active.remove(watch)

    def end() -> None:
        forget()
        for ident, thread in list(_left_running.items()):
            if not thread.is_alive():
                del _left_running[ident]
                _described.pop(ident, None)
        current = threading.current_thread()
        started = [
            thread
            for thread in threading.enumerate()
            if thread not in watch.existing
            and thread is not current
            and thread.ident not in _left_running
            and not _is_pool_worker(thread)
            and thread not in _serving
        ]
        if not started:
            return
        using = [thread for thread in started if thread.ident in watch.used]
        deadline = time.monotonic() + JOIN_SECONDS
        for thread in using:
            thread.join(max(0.0, deadline - time.monotonic()))
        for thread in started:
            if thread.is_alive() and thread.ident is not None:
                _left_running[thread.ident] = thread
        if using:
            raise _left_running_error([(thread, thread.is_alive()) for thread in using], naming)

    return end, forget
