"""Class data: setUpTestData on a small library app (docs/class-data.md)."""

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase

db = SQLAlchemy()


class Author(db.Model):
    __tablename__ = "docs_cd_author"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50), nullable=False)
    books = db.relationship("Book", back_populates="author", order_by="Book.id")


class Book(db.Model):
    __tablename__ = "docs_cd_book"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(100), nullable=False)
    author_id = db.Column(db.ForeignKey("docs_cd_author.id"), nullable=False)
    author = db.relationship("Author", back_populates="books")


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)

    @app.get("/authors/<int:author_id>/books")
    def books(author_id):
        author = db.get_or_404(Author, author_id)
        return jsonify([book.title for book in author.books])

    return app


class LibraryTests(TransactionalTestCase):
    def create_app(self):
        return create_app()

    @classmethod
    def setUpTestData(cls):
        # Runs once, before the first test of the class, in an app context.
        cls.tolkien = Author(name="Tolkien")
        cls.hobbit = Book(title="The Hobbit", author=cls.tolkien)
        cls.shelf = [Book(title=f"Volume {n}", author=cls.tolkien) for n in range(1, 4)]
        db.session.add(cls.tolkien)
        db.session.commit()

    def test_a_view_sees_the_class_data(self):
        response = self.client.get(f"/authors/{self.tolkien.id}/books")
        self.assertEqual(response.get_json()[0], "The Hobbit")

    def test_changes_are_undone_after_the_test(self):
        self.hobbit.title = "There and Back Again"
        self.session.delete(self.shelf[0])
        self.session.commit()
        self.assertEqual(len(self.tolkien.books), 3)

    def test_every_test_starts_from_the_data_as_made(self):
        self.assertEqual(self.hobbit.title, "The Hobbit")
        self.assertEqual(len(self.tolkien.books), 4)

    def test_class_data_belongs_to_the_tests_session(self):
        self.assertIs(self.session.get(Author, self.tolkien.id), self.tolkien)
        self.assertIs(self.hobbit.author, self.tolkien)
