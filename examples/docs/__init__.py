"""The code of every ``python`` block in docs/*.md and README.md, as runnable TestCases.

tests/docs/test_docs_examples.py checks that each block appears here verbatim and runs
these modules, so the docs cannot drift from what the library does.
"""
