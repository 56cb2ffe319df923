"""The core: isolate() and what it opens, patches and checks; no test runner in sight."""
