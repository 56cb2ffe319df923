"""The todo app: a Flask-SQLAlchemy app factory, one model, a few JSON views and a page.

Nothing here knows about tests: the views commit, exactly as in production.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from flask import Flask, abort, jsonify, redirect, render_template_string, request, url_for
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.exc import IntegrityError

db = SQLAlchemy()


class Todo(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "todo_app_todo"

    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False, unique=True)
    done = db.Column(db.Boolean, nullable=False, default=False)

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "done": self.done}


_default_dir: str | None = None


def default_database_url() -> str:
    """A SQLite file in a temporary directory of this process, removed at exit."""
    global _default_dir
    if _default_dir is None:
        _default_dir = tempfile.mkdtemp(prefix="todo_app_test_")
        atexit.register(shutil.rmtree, _default_dir, True)
    return "sqlite:///" + os.path.join(_default_dir, "todo_test.db")


# The page a person (or a browser test, docs/browser-tests.md) uses: the list and a form.
PAGE = """<!doctype html>
<html>
  <head><title>Todos</title></head>
  <body>
    <h1>Todos</h1>
    <ul id="todos">
      {% for todo in todos %}<li class="todo">{{ todo.title }}</li>{% endfor %}
    </ul>
    {% if not todos %}<p id="empty">Nothing to do.</p>{% endif %}
    {% if error %}<p id="error">{{ error }}</p>{% endif %}
    <form method="post" action="{{ url_for('add_from_page') }}">
      <input name="title" id="title" placeholder="What needs doing?">
      <button type="submit" id="add">Add</button>
    </form>
  </body>
</html>
"""


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url or default_database_url()
    db.init_app(app)

    @app.get("/todos")
    def list_todos():  # type: ignore[no-untyped-def]
        todos = db.session.scalars(db.select(Todo).order_by(Todo.id))
        return jsonify([todo.to_dict() for todo in todos])

    @app.post("/todos")
    def create_todo():  # type: ignore[no-untyped-def]
        title = (request.get_json(silent=True) or {}).get("title")
        if not title:
            return jsonify(error="title is required"), 400
        todo = Todo(title=title)
        db.session.add(todo)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return jsonify(error=f"{title!r} is already on the list"), 409
        return jsonify(todo.to_dict()), 201

    @app.get("/")
    def page():  # type: ignore[no-untyped-def]
        todos = db.session.scalars(db.select(Todo).order_by(Todo.id)).all()
        return render_template_string(PAGE, todos=todos, error=request.args.get("error"))

    @app.post("/")
    def add_from_page():  # type: ignore[no-untyped-def]
        title = request.form.get("title", "").strip()
        if not title:
            return redirect(url_for("page", error="Give the todo a title."))
        db.session.add(Todo(title=title))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return redirect(url_for("page", error=f"{title!r} is already on the list."))
        return redirect(url_for("page"))

    @app.post("/todos/<int:todo_id>/done")
    def mark_done(todo_id: int):  # type: ignore[no-untyped-def]
        todo = db.get_or_404(Todo, todo_id)
        todo.done = True
        db.session.commit()
        return jsonify(todo.to_dict())

    @app.delete("/todos/<int:todo_id>")
    def delete_todo(todo_id: int):  # type: ignore[no-untyped-def]
        todo = db.session.get(Todo, todo_id)
        if todo is None:
            abort(404)
        db.session.delete(todo)
        db.session.commit()
        return "", 204

    return app
