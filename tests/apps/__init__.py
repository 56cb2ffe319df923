"""Small Flask apps the test modules run against, one module (and one ``SQLAlchemy()``) each."""
