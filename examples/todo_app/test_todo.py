"""The todo app's tests: every test commits, and every test still starts clean.

Run them with ``make demo``. No test deletes anything: each runs inside a
transaction that flask_txtest rolls back after it.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa

from flask_txtest import TransactionalTestCase

from .app import Todo, create_app, default_database_url

DATABASE_URL = default_database_url()


def committed_todos(url: str = DATABASE_URL) -> int:
    """The rows a brand-new connection sees: what really is in the database file."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(sa.text("SELECT COUNT(*) FROM todo_app_todo")))
    finally:
        engine.dispose()


class TodoTests(TransactionalTestCase):
    def create_app(self):
        return create_app(DATABASE_URL)

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.addClassCleanup(cls.nothing_was_left_behind)

    @classmethod
    def nothing_was_left_behind(cls) -> None:
        count = committed_todos()
        if count:
            raise AssertionError(f"{count} todos were left in the database file")

    def test_the_table_is_empty_at_start(self):
        self.assertEqual(self.session.scalar(sa.select(sa.func.count(Todo.id))), 0)
        self.assertEqual(self.client.get("/todos").get_json(), [])

    def test_a_view_commits_buy_milk(self):
        response = self.client.post("/todos", json={"title": "buy milk"})
        self.assertEqual(response.status_code, 201, response.get_json())
        # The view's commit is visible to the test and to the next request.
        self.assertEqual(self.session.scalars(sa.select(Todo.title)).all(), ["buy milk"])
        self.assertEqual([t["title"] for t in self.client.get("/todos").get_json()], ["buy milk"])

    def test_the_test_commits_buy_milk_through_self_session(self):
        # The same title as the test above, under a UNIQUE constraint: this passes
        # only because each test starts from a clean table.
        self.session.add(Todo(title="buy milk"))
        self.session.commit()
        todos = self.client.get("/todos").get_json()
        self.assertEqual([t["title"] for t in todos], ["buy milk"])

    def test_a_duplicate_title_is_rejected_and_the_session_stays_usable(self):
        self.assertEqual(self.client.post("/todos", json={"title": "walk"}).status_code, 201)
        response = self.client.post("/todos", json={"title": "walk"})
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.get_json(), {"error": "'walk' is already on the list"})
        # The view's rollback went back to its savepoint: the first "walk" is still here.
        self.session.add(Todo(title="run"))
        self.session.commit()
        self.assertEqual(
            self.session.scalars(sa.select(Todo.title).order_by(Todo.id)).all(), ["walk", "run"]
        )

    def test_marking_done_and_deleting_commit_through_views(self):
        todo_id = self.client.post("/todos", json={"title": "call mum"}).get_json()["id"]
        self.assertEqual(self.client.post(f"/todos/{todo_id}/done").get_json()["done"], True)
        self.assertIs(self.session.get(Todo, todo_id).done, True)
        self.assertEqual(self.client.delete(f"/todos/{todo_id}").status_code, 204)
        self.assertEqual(self.client.post(f"/todos/{todo_id}/done").status_code, 404)

    def test_commits_stay_inside_the_test_transaction(self):
        self.client.post("/todos", json={"title": "water plants"})
        self.assertEqual(self.session.scalar(sa.select(sa.func.count(Todo.id))), 1)
        # A separate connection sees only what is really committed to the file: nothing.
        self.assertEqual(committed_todos(), 0)


if __name__ == "__main__":
    unittest.main()
