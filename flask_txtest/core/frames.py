"""The place in the user's code that did something, for messages.

Escaped commits, raw connections and ``engine.connect()`` name where the user's code
opened them: the innermost frame of the call stack that is neither a known library's
nor the standard library's.
"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
import types

# Where code that is not the user's lives: its frames are skipped when naming a place.
# (Paths, not messages: the test runners' own frames are skipped too.)
_LIBRARY_PARTS = (
    f"{os.sep}sqlalchemy{os.sep}",
    f"{os.sep}flask_txtest{os.sep}",
    f"{os.sep}flask{os.sep}",
    f"{os.sep}werkzeug{os.sep}",
    f"{os.sep}flask_sqlalchemy",
    f"{os.sep}asgiref{os.sep}",
    f"{os.sep}unittest{os.sep}",
    f"{os.sep}_pytest{os.sep}",
    f"{os.sep}pluggy{os.sep}",
    f"{os.sep}contextlib.py",
    f"{os.sep}threading.py",
    f"{os.sep}asyncio{os.sep}",
)

# The standard library's own directory (site-packages below it is not the standard
# library: a user's app may be installed there).
_STDLIB = os.path.normcase(sysconfig.get_paths()["stdlib"]) + os.sep
_SITE_PACKAGES = os.path.normcase(sysconfig.get_paths()["purelib"]) + os.sep


@functools.lru_cache(maxsize=4096)
def is_user_file(filename: str) -> bool:
    """Whether a frame's file may be the user's code: not a known library's, not the
    standard library's, not generated code.

    Generated code (SQLAlchemy's ``<sqlalchemy generated _go() wrapper ...>``, ``exec``
    strings, ``<frozen importlib._bootstrap>``) has a file name in angle brackets.
    """
    if filename.startswith("<") or any(part in filename for part in _LIBRARY_PARTS):
        return False
    normalized = os.path.normcase(filename)
    return not normalized.startswith(_STDLIB) or normalized.startswith(_SITE_PACKAGES)


def user_frame() -> str:
    """``File "...", line N, in name`` of the innermost frame of the user's code."""
    # Called on every pinned ``engine.connect()``: the frames are walked innermost first
    # and no source line is read (``traceback.extract_stack`` reads every line of the
    # stack; it cost ~1 ms a connection).
    frame: types.FrameType | None = sys._getframe(1)
    installed = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if is_user_file(filename):
            # The innermost frame outside site-packages (the project's own files);
            # failing that, an installed package's (the app may be installed, or called
            # through another one).
            if not os.path.normcase(filename).startswith(_SITE_PACKAGES):
                return _place(frame)
            installed = installed or _place(frame)
        frame = frame.f_back
    return installed or "an unknown place (no frame outside the libraries)"


def _place(frame: types.FrameType) -> str:
    return f'File "{frame.f_code.co_filename}", line {frame.f_lineno}, in {frame.f_code.co_name}'
