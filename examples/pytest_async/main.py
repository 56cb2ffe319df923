"""The Stack Overflow question's main.py, as written: a FastAPI route that retries an
insert after an ``IntegrityError``, then commits (source: see database.py)."""

from database import Animal, get_async_db_session
from fastapi import Depends, FastAPI
from sqlalchemy.exc import IntegrityError

app = FastAPI()


@app.post("/add")
async def root(session=Depends(get_async_db_session)):  # noqa: B008 (FastAPI's idiom)
    for name in ("Max", "Cody", "Robby"):
        session.add(Animal(name=name))
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            continue  # retry

        await session.commit()
        return name

    return None
