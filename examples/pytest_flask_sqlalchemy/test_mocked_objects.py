"""mocked-engines and mocked-sessionmakers: the module-level engine and sessionmaker of
database.py write inside the test transaction too.
"""

from database import WorkerSessionmaker, engine
from models import Table
from sqlalchemy import text


def test_the_module_engine_writes_in_the_test(db_session):
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO example_table (id, name) VALUES (2, 'engine')"))
    assert db_session.get(Table, 2).name == "engine"


def test_a_worker_session_writes_in_the_test(db_session):
    worker = WorkerSessionmaker()
    worker.add(Table(id=3, name="worker"))
    worker.commit()
    worker.close()
    assert db_session.get(Table, 3).name == "worker"


def test_neither_persists(db_engine):
    names = db_engine.execute("SELECT name FROM example_table ORDER BY id").scalars().all()
    assert names == ["initial"]
