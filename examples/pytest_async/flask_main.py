"""The same route as a Flask async view: the session comes from the same
``async_sessionmaker``, the retry and the commit are the question's."""

from database import Animal, async_session_maker
from flask import Flask, jsonify
from sqlalchemy.exc import IntegrityError


def create_app():
    app = Flask(__name__)

    @app.post("/add")
    async def add():
        async with async_session_maker() as session:
            for name in ("Max", "Cody", "Robby"):
                session.add(Animal(name=name))
                try:
                    await session.flush()
                except IntegrityError:
                    await session.rollback()
                    continue  # retry

                await session.commit()
                return jsonify(name)

        return jsonify(None)

    return app
