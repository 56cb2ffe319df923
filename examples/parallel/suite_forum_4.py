"""Forum tests, part 4: every test writes the same UNIQUE rows and expects the first ids."""

import _case
import forum
import sqlalchemy as sa


class JoiningTests(_case.ForumCase):
    def test_alice_joins(self):
        self.assert_first_ids(self.join("alice"))
        self.assertEqual(self.client.get("/users/alice").json["name"], "alice")

    def test_bob_and_carol_join(self):
        self.assert_first_ids(self.join("bob"))
        self.join("carol")
        count = sa.select(sa.func.count()).select_from(forum.User)
        self.assertEqual(self.session.scalar(count), 2)

    def test_the_same_name_twice_is_refused(self):
        self.join("alice")
        self.session.add(forum.User(name="alice"))
        with self.assertRaises(sa.exc.IntegrityError):
            self.session.commit()
        self.session.rollback()  # back to the last savepoint: the session goes on
        self.assertEqual(self.client.get("/users/alice").json["name"], "alice")


class AuditTests(_case.ForumCase):
    def test_every_join_is_audited_in_the_audit_bind(self):
        self.join("alice")
        self.join("bob")
        events = sa.select(forum.AuditEntry.event).order_by(forum.AuditEntry.id)
        self.assertEqual(list(self.session.scalars(events)), ["joined: alice", "joined: bob"])

    def test_the_search_engine_sees_the_terms(self):
        self.join("dave")
        assert forum.search_engine is not None
        with forum.search_engine.connect() as connection:
            terms = connection.scalars(sa.select(forum.search_index.c.term)).all()
        self.assertEqual(terms, ["dave"])
