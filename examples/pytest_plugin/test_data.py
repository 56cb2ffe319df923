"""docs/pytest.md: data made once per module and per class, fresh in every test."""

from blog import Author, Book, db

from flask_txtest.pytest_plugin import data_fixture


@data_fixture(scope="module")
def tolkien():
    author = Author(name="Tolkien")
    db.session.add(author)
    return author


class TestShelf:
    @data_fixture(scope="class")
    def shelf(tolkien):
        books = [Book(title=title, author=tolkien) for title in ("The Hobbit", "Roverandom")]
        db.session.add_all(books)
        return books

    def test_a_test_may_change_the_data(self, tolkien, shelf, txtest_session):
        tolkien.name = "J. R. R. Tolkien"
        txtest_session.delete(shelf[0])
        txtest_session.commit()
        assert [book.title for book in tolkien.books] == ["Roverandom"]

    def test_the_next_test_sees_it_as_it_was_made(self, tolkien, shelf):
        assert tolkien.name == "Tolkien"
        assert len(tolkien.books) == 2
        assert shelf[0].author is tolkien


def test_after_the_class_its_data_is_gone(tolkien, txtest_session):
    assert txtest_session.query(Book).count() == 0
    assert txtest_session.get(Author, tolkien.id) is tolkien
