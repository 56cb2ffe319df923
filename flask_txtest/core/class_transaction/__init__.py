"""The class transaction: data made once for a group of tests, held in a layer under them.

A layer is a savepoint (or, outermost, the transaction) flask_txtest holds open on the
shared test connections for one scope. The data made in it is committed into it, and
every test of the group, a savepoint inside it, gets fresh copies of the objects.

- ``copies``: the objects: commit them into the layer, load what the commit expired,
  copy them into each test's session.
- ``layer``: the layer held for a class of tests, sync; its broken-class recovery.
- ``async_layer``: the same on the async engines (awaited, the sync steps run on the
  async side's greenlet).

The test-runner glue around it passes its own names in (attributes, messages).
"""
