"""Query assertions: catching an N+1 query in a view (docs/query-assertions.md)."""

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import selectinload

from flask_txtest import TransactionalTestCase

db = SQLAlchemy()


class Article(db.Model):
    __tablename__ = "docs_qa_article"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(100), nullable=False)
    comments = db.relationship("Comment", order_by="Comment.id")


class Comment(db.Model):
    __tablename__ = "docs_qa_comment"
    id = db.Column(db.Integer, primary_key=True)
    article_id = db.Column(db.ForeignKey("docs_qa_article.id"), nullable=False)
    text = db.Column(db.String(200), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)

    @app.get("/articles")
    def articles():
        query = db.select(Article).options(selectinload(Article.comments))
        return jsonify(
            [
                {"title": article.title, "comments": [c.text for c in article.comments]}
                for article in db.session.scalars(query)
            ]
        )

    return app


class ArticleQueryTests(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def setUp(self):
        super().setUp()
        for n in range(5):
            article = Article(title=f"Article {n}")
            article.comments = [Comment(text="First!"), Comment(text="Nice")]
            self.session.add(article)
        self.session.commit()

    def test_the_list_costs_two_queries_however_many_articles(self):
        with self.assertNumQueries(2):
            response = self.client.get("/articles")
        self.assertEqual(len(response.get_json()), 5)

    def test_at_most_two_queries(self):
        with self.assertMaxNumQueries(2):
            self.client.get("/articles")

    def test_what_was_sent(self):
        with self.captureQueries() as queries:
            self.client.get("/articles")
        self.assertIn("FROM docs_qa_article", queries[0])
        self.assertIn("FROM docs_qa_comment", queries[1])

    def test_a_failure_lists_the_queries(self):
        with self.assertRaises(AssertionError) as failure, self.assertNumQueries(1):
            self.client.get("/articles")
        self.assertIn("2 != 1 : 2 queries executed, 1 expected", str(failure.exception))
        self.assertIn("1. SELECT docs_qa_article.id", str(failure.exception))

    def test_the_failure_message_shown_in_the_docs(self):
        with self.assertRaises(AssertionError) as failure, self.assertNumQueries(1):
            self.client.get("/articles")
        shown = f"{type(failure.exception).__name__}: {failure.exception}"
        beginning = """\
AssertionError: 2 != 1 : 2 queries executed, 1 expected
Captured queries were:
1. SELECT docs_qa_article.id, docs_qa_article.title FROM docs_qa_article
"""
        self.assertTrue(shown.startswith(beginning), shown)
        self.assertTrue(shown[len(beginning) :].startswith("2. SELECT "), shown)
        self.assertIn("FROM docs_qa_comment WHERE", shown)
