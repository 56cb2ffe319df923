"""A fingerprint of the schema step: a copy is reused while it is unchanged.

The default step creates the tables of the app's metadata, so its fingerprint is the DDL
it would send (``CREATE TABLE`` and ``CREATE INDEX``, compiled for the backend). An
overriding ``create_schema`` (Alembic, a script) is fingerprinted by its compiled code:
editing the function recreates the copies; editing what it reads (migration files) does
not, so those runs drop the copies (``TXTEST_DROP_DATABASES=1``) or bump the function.
"""

from __future__ import annotations

import collections.abc as cabc
import hashlib
import marshal
import types
import typing as t

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable

#: Bumped when the way copies are made changes, so older copies are remade.
_FORMAT = b"flask_txtest copies v1"


def of_metadata(metadatas: cabc.Iterable[tuple[sa.MetaData, t.Any]]) -> str:
    """The fingerprint of the default schema step over ``(metadata, engine)`` pairs."""
    digest = hashlib.sha256(_FORMAT)
    for metadata, engine in metadatas:
        dialect = engine.dialect
        for table in metadata.sorted_tables:
            digest.update(str(CreateTable(table).compile(dialect=dialect)).encode())
            for index in sorted(table.indexes, key=lambda each: str(each.name)):
                digest.update(str(CreateIndex(index).compile(dialect=dialect)).encode())
    return digest.hexdigest()[:32]


def of_function(function: cabc.Callable[..., t.Any]) -> str:
    """The fingerprint of an overriding schema step: its name and its compiled code."""
    digest = hashlib.sha256(_FORMAT)
    code = _code_of(function)
    digest.update(getattr(function, "__qualname__", repr(function)).encode())
    if code is not None:
        digest.update(marshal.dumps(code))
    return digest.hexdigest()[:32]


def _code_of(function: t.Any) -> types.CodeType | None:
    function = getattr(function, "__func__", function)  # a bound method
    code = getattr(function, "__code__", None)
    return code if isinstance(code, types.CodeType) else None
