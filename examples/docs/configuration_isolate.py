"""Configuration: isolate(), the same isolation without unittest."""

import unittest

from flask_txtest import isolate

from .quickstart_minimal import Note, create_app, db


def add_note_and_count(app, text):
    with isolate(app) as isolation, app.app_context():
        db.session.add(Note(text=text))
        db.session.commit()  # a savepoint release: rolled back when the block ends
        assert isolation.connection is not None
        return db.session.query(Note).count()


class IsolateTests(unittest.TestCase):
    def test_each_block_starts_clean(self):
        app = create_app()
        self.assertEqual(add_note_and_count(app, "same text"), 1)
        self.assertEqual(add_note_and_count(app, "same text"), 1)
