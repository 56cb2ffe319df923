"""One table for the unit tests of the class transaction, on plain SQLAlchemy."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

TABLE = "core_class_layer_item"


class Base(sa_orm.DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = TABLE

    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    title: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))


def create_table(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()
