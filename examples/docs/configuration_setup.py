"""Configuration: what runs where; setUp without super().setUp(); app.config put back."""

from flask_txtest import TransactionalTestCase

from .quickstart_minimal import Note, create_app


class LateSuperTests(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def setUp(self):
        # Already inside the test transaction: rolled back after each test.
        self.session.add(Note(text="made before super().setUp()"))
        self.session.commit()
        super().setUp()

    def test_sees_the_note(self):
        self.assertEqual(Note.query.count(), 1)

    def test_sees_only_its_own_note(self):  # UNIQUE text: the other test's is gone
        self.assertEqual([note.text for note in Note.query], ["made before super().setUp()"])


class ConfigTests(TransactionalTestCase):
    def create_app(self):
        return create_app()  # once for the class: the tests share the app

    def test_a_turns_signups_off(self):
        self.app.config["SIGNUPS_OPEN"] = False
        self.app.config["TESTING"] = True

    def test_b_sees_the_config_as_it_was(self):
        self.assertNotIn("SIGNUPS_OPEN", self.app.config)
        self.assertFalse(self.app.config["TESTING"])
