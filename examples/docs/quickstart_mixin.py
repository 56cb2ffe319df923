"""Quickstart: TransactionalMixin on an existing TestCase hierarchy."""

import unittest

from flask_txtest import TransactionalMixin

from .quickstart_minimal import Note, create_app


class ProjectTestCase(unittest.TestCase):
    """A project's own base class, with its own helpers and setUp."""

    def setUp(self):
        super().setUp()
        self.headers = {"X-Requested-With": "tests"}

    def post_note(self, text):
        return self.client.post("/notes", json={"text": text}, headers=self.headers)


class ApiTestCase(TransactionalMixin, ProjectTestCase):
    def create_app(self):
        return create_app()


class NoteApiTests(ApiTestCase):
    def setUp(self):
        super().setUp()  # ProjectTestCase.setUp; all of setUp is rolled back after the test
        self.session.add(Note(text="made in setUp"))
        self.session.commit()

    def test_setup_data_is_there(self):
        self.assertEqual(self.post_note("hello").get_json(), {"count": 2})

    def test_setup_data_is_made_afresh_for_each_test(self):
        self.assertEqual([note.text for note in Note.query.all()], ["made in setUp"])
