"""Parallel runs: each test process works on its own copy of each isolated database.

``worker`` says whether this process is one of several (pytest-xdist, or
``TXTEST_PARALLEL=1``) and under which name; ``fingerprint`` names the schema step;
``postgresql`` / ``mysql`` / ``sqlite`` claim slots and make copies on their backend;
``redirect`` points an engine made by the app at its copy; ``copies`` puts them together
for the schema step; ``cleanup`` drops the copies.
"""
