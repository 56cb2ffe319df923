"""Forum tests, part 3: every test writes the same UNIQUE rows and expects the first ids."""

import _case


class JoiningTests(_case.JoiningChecks, _case.ForumCase):
    pass


class AuditTests(_case.AuditChecks, _case.ForumCase):
    pass
