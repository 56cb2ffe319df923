"""Each test's isolation opens before its ``setUp`` and closes after its cleanups.

Django's ``TestCase`` does its set-up from ``__call__`` so that a ``setUp`` which forgets
``super().setUp()`` cannot skip it. Here ``run()`` (which ``__call__``, unittest's
suites and pytest all go through) and ``debug()`` make the instance's own ``setUp``
(and ``asyncSetUp``) open the isolation first, so that:

- whatever any ``setUp`` writes, before, after or without ``super().setUp()``, is
  rolled back after the test;
- opening it is part of the test: an error there is the test's error, reported between
  ``startTest`` and ``stopTest``, and a skipped test opens nothing;
- closing it is the first cleanup registered, so it runs last, after ``tearDown`` and
  every cleanup the test added, and also when ``setUp`` failed;
- it runs where ``setUp`` runs: in an ``IsolatedAsyncioTestCase`` that is the test's
  own ``contextvars`` context, which Flask's contexts live in;
- no frame of the library sits between unittest's and the test method: unittest
  trims a failure's traceback at the first unittest frame after the test's code, so
  an overridden ``_callTestMethod`` was all a failure's report showed.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import inspect
import typing as t

#: Opens a part of the isolation before the hook of the same name runs.
Opener = cabc.Callable[[], t.Any]

# unittest (and pytest, for unittest cases) leave frames of modules that set this out
# of a report: a failing setUp is reported from its own line, as without the library.
# The frames of what the hook opens are in other modules, so their errors still show.
__unittest = True

_MISSING = object()


def _opening_first(original: cabc.Callable[[], t.Any], opener: Opener) -> t.Any:
    # Once per run: a test that calls setUp() again gets only its own setUp.
    pending = [opener]

    if inspect.iscoroutinefunction(original):

        async def async_hook() -> None:
            while pending:
                await pending.pop()()
            await original()

        return async_hook

    def hook() -> None:
        while pending:
            pending.pop()()
        original()

    return hook


@contextlib.contextmanager
def opened_before(case: t.Any, openers: cabc.Mapping[str, Opener]) -> cabc.Iterator[None]:
    """While the block runs, each hook named in ``openers`` calls its opener first.

    :param openers: hook name (``"setUp"``, ``"asyncSetUp"``) to what opens the part
        of the isolation that hook's code needs.
    """
    before = {name: case.__dict__.get(name, _MISSING) for name in openers}
    try:
        for name, opener in openers.items():
            setattr(case, name, _opening_first(getattr(case, name), opener))
        yield
    finally:
        for name, previous in before.items():
            if previous is _MISSING:
                case.__dict__.pop(name, None)
            else:
                setattr(case, name, previous)
