"""The benchmark suite of issue 7: flask_txtest against the ways people isolate tests.

``make bench`` (= ``python -m benchmarks``) runs it; ``python -m benchmarks --help``
lists the knobs. Benchmarks print figures; they assert nothing.
"""
