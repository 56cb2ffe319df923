"""Configuration: a plain SQLAlchemy app (no extension) with isolate_* and metadata."""

import sqlalchemy as sa
from flask import Flask, jsonify
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker

from flask_txtest import TransactionalTestCase

engine = sa.create_engine("sqlite://", poolclass=sa.StaticPool)
Session = scoped_session(sessionmaker(bind=engine))
reporting_engine = sa.create_engine("sqlite://", poolclass=sa.StaticPool)


class Base(DeclarativeBase):
    pass


class Event(Base):
    __tablename__ = "cfg_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)


def create_app():
    app = Flask(__name__)

    @app.post("/events/<name>")
    def add_event(name):
        Session.add(Event(name=name))
        Session.commit()
        with reporting_engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE IF NOT EXISTS cfg_report (name TEXT)"))
            connection.execute(sa.text("INSERT INTO cfg_report VALUES (:name)"), {"name": name})
        return jsonify(name=name), 201

    app.teardown_appcontext(lambda error: Session.remove())
    return app


class EventTests(TransactionalTestCase):
    isolate_engines = (engine, reporting_engine)  # the first one is the default
    isolate_sessionmakers = (Session,)
    metadata = Base.metadata  # created on the default engine by the schema step

    def create_app(self):
        return create_app()

    def test_a_view_commits_on_both_engines(self):
        self.assertEqual(self.client.post("/events/launch").status_code, 201)
        self.assertEqual(self.session.scalars(sa.select(Event.name)).all(), ["launch"])
        self.assertEqual(self.connection.scalar(sa.text("SELECT name FROM cfg_event")), "launch")
        report = self.connections[reporting_engine]
        self.assertEqual(report.scalar(sa.text("SELECT name FROM cfg_report")), "launch")

    def test_the_next_test_starts_clean(self):
        self.assertEqual(self.client.post("/events/launch").status_code, 201)
        report = self.connections[reporting_engine]
        self.assertEqual(report.scalar(sa.text("SELECT COUNT(*) FROM cfg_report")), 1)
