"""The blog in a browser, written for Flask-Testing's LiveServerTestCase (Selenium).

Ported to flask_txtest by changing one line, the LiveServerTestCase import (the heading
after the form is read in one script call, a Chromium fix the original needs as much).
Under Flask-Testing the server ran in another process, so the posts a test made had to
be committed and deleted by hand; now every request the browser makes runs in the test's
transaction, rolled back after it. On any database (``BLOG_DATABASE_URL``):
``python -m unittest examples.flask_testing_port.test_live_blog``
"""

import os
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from examples.browser.chromium import chromium_required, start_chromium
from examples.flask_testing_port.blog import Post, create_app, db
from flask_txtest.flask_testing import LiveServerTestCase  # was: flask_testing

DATABASE_URL = os.environ.get("BLOG_DATABASE_URL", "sqlite://")


@chromium_required
class BlogInTheBrowser(LiveServerTestCase):
    def create_app(self):
        return create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": DATABASE_URL, "LIVESERVER_PORT": 0}
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.driver = start_chromium()

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        super().tearDownClass()

    def setUp(self):
        db.create_all()

    def test_server_is_up_and_running(self):
        self.driver.get(self.get_server_url())
        self.assertEqual(self.driver.title, "All posts")

    def test_the_index_lists_a_post_the_test_made(self):
        db.session.add(Post(title="Hello from the test", body="x"))
        db.session.commit()
        self.driver.get(self.get_server_url() + "/")
        links = self.driver.find_elements(By.TAG_NAME, "li")
        self.assertEqual([link.text for link in links], ["Hello from the test"])

    def test_writing_a_post_in_the_form(self):
        self.driver.get(self.get_server_url() + "/posts/new")
        self.driver.find_element(By.NAME, "title").send_keys("Written in the browser")
        self.driver.find_element(By.NAME, "body").send_keys("It works")
        self.driver.find_element(By.TAG_NAME, "button").click()
        # The heading is read in one script call: between a find and a .text the redirect
        # can drop the node (Chromium then raises "Node with given id does not belong to
        # the document", which no wait ignores).
        heading = "const h = document.querySelector('h1'); return h ? h.textContent : '';"
        WebDriverWait(self.driver, 10).until(lambda driver: driver.execute_script(heading))
        self.assertEqual(self.driver.execute_script(heading), "Written in the browser")
        self.assertEqual(self.driver.find_element(By.CSS_SELECTOR, ".flash").text, "Post created")
        self.assertEqual(Post.query.one().body, "It works")

    def test_each_test_starts_with_no_posts(self):
        self.assertEqual(Post.query.count(), 0)
        self.driver.get(self.get_server_url() + "/")
        self.assertEqual(self.driver.find_elements(By.TAG_NAME, "li"), [])


if __name__ == "__main__":
    unittest.main()
