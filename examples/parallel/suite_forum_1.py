"""Forum tests, part 1: every test writes the same UNIQUE rows and expects the first ids."""

import _case
import forum


class JoiningTests(_case.JoiningChecks, _case.ForumCase):
    pass


class AuditTests(_case.AuditChecks, _case.ForumCase):
    pass


class WhereTests(_case.ForumCase):
    def test_every_engine_reaches_this_process_copy_not_the_main_database(self):
        self.join("erin")
        main = _case.main_name()
        reached = {
            "session": _case.database_of(self.session.connection()),
            "audit bind": _case.database_of(self.connections["audit"]),
        }
        assert forum.search_engine is not None
        with forum.search_engine.connect() as connection:
            reached["extra engine"] = _case.database_of(connection)
        self.assertRegex(reached["session"], rf"^{main}_(gw)?[0-9]+$")
        self.assertEqual(reached["extra engine"], reached["session"])
        self.assertRegex(reached["audit bind"], r"_(gw)?[0-9]+$")
