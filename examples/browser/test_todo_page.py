"""The todo page in a real browser, inside each test's transaction.

The test writes a todo through ``self.session``; Chromium, driven by Selenium, opens the
page that the live server serves from a thread of this process, sees it, and adds one
through the form; the test finds the new row through ``self.session``. Nothing is
committed for good: the next test sees an empty list.
``python -m unittest examples.browser.test_todo_page`` (``TODO_DATABASE_URL`` picks the
database; default: a SQLite file).
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from examples.browser.chromium import chromium_required, start_chromium
from examples.todo_app.app import Todo, create_app, default_database_url
from flask_txtest import LiveServerTestCase

DATABASE_URL = os.environ.get("TODO_DATABASE_URL") or default_database_url()


@chromium_required
class TodoPageTests(LiveServerTestCase):
    def create_app(self):
        return create_app(DATABASE_URL)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.browser = start_chromium()  # one browser for the class, like the server
        cls.addClassCleanup(cls.browser.quit)

    def titles_on_the_page(self):
        # Read in one script call: element by element, a page being replaced (the form's
        # redirect) can drop a node between the find and its .text, which Chromium 156
        # reports as "Node with given id does not belong to the document".
        return self.browser.execute_script(
            "return Array.from(document.querySelectorAll('li.todo'), li => li.innerText)"
        )

    def test_the_browser_sees_the_test_data_and_the_test_sees_the_form_post(self):
        self.session.add(Todo(title="buy milk"))
        self.session.commit()  # a savepoint: the database commits nothing for good

        self.browser.get(self.live_server_url + "/")
        self.assertEqual(self.titles_on_the_page(), ["buy milk"])

        self.browser.find_element(By.ID, "title").send_keys("walk the dog")
        self.browser.find_element(By.ID, "add").click()
        # The form posts, the view commits and redirects: wait for the new list (the
        # old page's elements go stale as the new page replaces it).
        wait = WebDriverWait(self.browser, 10, ignored_exceptions=[StaleElementReferenceException])
        wait.until(lambda _: self.titles_on_the_page() == ["buy milk", "walk the dog"])

        titles = self.session.scalars(sa.select(Todo.title).order_by(Todo.id)).all()
        self.assertEqual(titles, ["buy milk", "walk the dog"])

    def test_the_next_test_sees_an_empty_list(self):
        self.browser.get(self.live_server_url + "/")
        self.assertEqual(self.titles_on_the_page(), [])
        self.assertEqual(self.browser.find_element(By.ID, "empty").text, "Nothing to do.")
