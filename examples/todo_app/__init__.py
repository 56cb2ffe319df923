"""A small Flask-SQLAlchemy todo app and its transactional test suite (``make demo``)."""
