"""The blog's suite, written for Flask-Testing.

Ported to flask_txtest by changing one line, the TestCase import; nothing else. Each test
now runs in a transaction rolled back after it, on any database (``BLOG_DATABASE_URL``):
``python -m unittest examples.flask_testing_port.test_blog``
"""

import os
import unittest

from flask import url_for

from examples.flask_testing_port.blog import Post, create_app, db
from flask_txtest.flask_testing import TestCase  # was: flask_testing

DATABASE_URL = os.environ.get("BLOG_DATABASE_URL", "sqlite://")


class BlogTestCase(TestCase):
    def create_app(self):
        return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": DATABASE_URL})

    def setUp(self):
        super().setUp()
        db.create_all()

    def tearDown(self):
        db.session.remove()
        super().tearDown()

    def add_post(self, title="Hello", body="First post"):
        post = Post(title=title, body=body)
        db.session.add(post)
        db.session.commit()
        return post


class PageTests(BlogTestCase):
    def test_index_lists_the_posts(self):
        self.add_post("Hello")
        response = self.client.get("/")
        self.assert200(response)
        self.assertTemplateUsed("index.html")
        self.assertContext("title", "All posts")
        self.assertEqual([post.title for post in self.get_context_variable("posts")], ["Hello"])

    def test_each_test_starts_with_no_posts(self):
        self.assertEqual(Post.query.count(), 0)
        self.client.get("/")
        self.assertEqual(self.get_context_variable("posts"), [])

    def test_new_post_form(self):
        self.assert200(self.client.get("/posts/new"))
        self.assertTemplateUsed("new.html")

    def test_creating_a_post_redirects_to_it_and_flashes(self):
        response = self.client.post("/posts/new", data={"title": "Fresh", "body": "news"})
        post = Post.query.filter_by(title="Fresh").one()
        self.assertRedirects(response, url_for("show_post", post_id=post.id))
        self.assertMessageFlashed("Post created", "success")

    def test_following_the_redirect_shows_the_post(self):
        response = self.client.post(
            "/posts/new", data={"title": "Fresh", "body": "news"}, follow_redirects=True
        )
        self.assert200(response)
        self.assertTemplateUsed("show.html")
        self.assertIn(b"Post created", response.data)
        self.assertEqual(self.get_context_variable("post").title, "Fresh")

    def test_a_post_needs_a_title(self):
        response = self.client.post("/posts/new", data={"title": " "})
        self.assert400(response)
        self.assertMessageFlashed("Title is required", "error")
        self.assertEqual(Post.query.count(), 0)

    def test_missing_post_is_404(self):
        self.assert404(self.client.get("/posts/12345"))

    def test_deleting_needs_a_login(self):
        post = self.add_post()
        self.assert403(self.client.post(f"/posts/{post.id}/delete"))

    def test_login_then_delete(self):
        post = self.add_post()
        self.assertRedirects(self.client.post("/login"), "/")
        self.assertMessageFlashed("Welcome back")
        response = self.client.post(f"/posts/{post.id}/delete")
        self.assertRedirects(response, url_for("index"))
        self.assertEqual(Post.query.count(), 0)


class ApiTests(BlogTestCase):
    def test_list(self):
        self.add_post("One")
        self.add_post("Two")
        response = self.client.get("/api/posts")
        self.assert200(response)
        self.assertEqual([post["title"] for post in response.json], ["One", "Two"])

    def test_create(self):
        response = self.client.post("/api/posts", json={"title": "Via API"})
        self.assertStatus(response, 201)
        self.assertEqual(db.session.get(Post, response.json["id"]).title, "Via API")

    def test_create_without_title_is_400(self):
        response = self.client.post("/api/posts", json={})
        self.assert400(response)
        self.assertEqual(response.json, {"error": "title is required"})

    def test_unknown_post_is_404(self):
        self.assert404(self.client.get("/api/posts/999"))

    def test_wrong_method_is_405(self):
        self.assert405(self.client.put("/api/posts"))


if __name__ == "__main__":
    unittest.main()
