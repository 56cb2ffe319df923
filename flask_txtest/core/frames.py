"""The place in the user's code that did something, for messages.

Escaped commits, raw connections and ``engine.connect()`` name where the user's code
opened them: the innermost frame of the call stack that is neither a known library's
nor the standard library's.
"""

from __future__ import annotations

import os
import sysconfig
import traceback

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
    stack = [frame for frame in traceback.extract_stack()[:-1] if is_user_file(frame.filename)]
    # The innermost frame outside site-packages (the project's own files); failing that,
    # an installed package's (the app may be installed, or called through another one).
    own = [f for f in stack if not os.path.normcase(f.filename).startswith(_SITE_PACKAGES)]
    if not (own or stack):
        return "an unknown place (no frame outside the libraries)"
    frame = (own or stack)[-1]
    return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}'
