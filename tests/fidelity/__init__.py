"""Fidelity: inside a test the app sees what production would, or is told it cannot (issue 13).

``test_oracle`` is a differential oracle. Hypothesis draws a *program*: up to 12 steps of
what apps do (``_steps.py``), on an app with two binds (``fid_item`` on the default
database, ``fid_other_item`` on ``<name>_other``):

- the driver's own ``db.session`` (in one app context for the whole program): ``add``
  (with or without ``flush``), ``flush``, ``commit``, ``rollback``, ``close``,
  ``db.session.remove()``, ``execute(delete(...))``, a ``begin_nested()`` block
  released, rolled back or left by an exception, and a ``begin_nested()`` left open
  across steps then committed or rolled back;
- other units of work, each beginning and ending inside its step: ``engine.begin()`` /
  ``engine.connect()`` with inserts, deletes and nested savepoints (released, committed,
  rolled back, left by an exception), ended by commit, rollback, ``close()`` or an
  exception; requests through the test client to a view that commits, uses
  ``begin_nested`` then rolls back or commits, or rolls back after an ``IntegrityError``
  (then commits something else or answers 409), and to a view that reads both binds;
  a second thread that commits through its own session or ``engine.begin()``, joined
  before the next step.

Each program runs (a) on the real database with no library (``run_in_production``:
really committing, the tables deleted before and after) and (b) inside
``isolate(app)`` with the app context pushed, as ``TransactionalTestCase`` does
(``run_isolated``). Every request runs in fresh Flask contexts in both runs, as in
production (Flask would otherwise reuse the driver's app context and its session).

**What is compared.** After every step: the step's own result (a response's status, and
the rows a reading view returned), and for each bind the titles *visible to the app*:

- through a fresh unit of work (``engine.connect()`` and a SELECT) when the driver's
  session holds no uncommitted changes on that bind: production's answer is then the
  committed data, which one shared connection must show too;
- through the session itself (``no_autoflush``, so the look changes nothing) when it
  does: production's answer is then the session's own view, its changes included;
- not at all on MariaDB when another unit committed on that bind inside the session's
  open transaction: REPEATABLE READ keeps the session's snapshot from before that
  commit, which one connection cannot reproduce.

After the program, the session is removed and the fresh unit of work compares the
final state, and after (b) a brand-new connection must find both tables empty.

**What is excluded, and why.** Production runs on one thread, so an interleaving where
one unit would wait for another's lock would hang; the oracle drops such a step from
the program (decided in the production run, from what the session holds; both runs
run the same kept steps). Titles are unique per insert and per run, so no two units
ever wait on one unique value (InnoDB also locks delete-marked records a unique check
meets, hence a fresh prefix per run). Dropped, when the session holds uncommitted
changes on the step's bind:

- any other unit's write on SQLite (production's second writer gets "database is
  locked"), and its DELETE on every backend (it would wait for the session's row locks);
  on MariaDB also its INSERT after the session deleted (next-key locks). Locks outlive
  a rollback to a savepoint, so this follows what the transaction ever wrote;
- any other unit's read (production reads committed rows; one shared connection sees
  the session's uncommitted ones: the documented one-connection limit);
- on SQLite ``:memory:`` every other unit while the session has a transaction there
  (production's StaticPool shares one DBAPI connection, already in a transaction).

On SQLite the app uses SQLAlchemy's documented pysqlite SAVEPOINT recipe (without it a
RELEASE commits for real in production: ``test_table_savepoints`` shows it); a second
flavour runs the legacy-mode app with programs that never use SAVEPOINT.

**What must be reported.** When the session rolls back (``rollback``, ``close``,
``remove``, or a savepoint rollback) after another unit committed on a bind inside its
transaction or savepoint, production keeps the other unit's rows: from that step on,
(b) may raise flask_txtest's ``IsolationError`` (and stop) instead of agreeing, and any
disagreement there is reported as a *silent* unreproducible interleaving. Everywhere
else an ``IsolationError`` is a false alarm and fails the oracle.

CI runs a fixed seed (``derandomize=True``); ``TXTEST_FIDELITY_EXAMPLES=N`` runs N
examples per backend. ``test_table_savepoints`` and ``test_table_faults`` hold every
divergence of issue 13's table as an explicit test with its production counterpart.
"""
