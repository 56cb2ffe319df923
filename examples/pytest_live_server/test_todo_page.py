"""The todo page over real HTTP, with pytest: ``txtest_live_server`` serves the app inside
each test's transaction."""

import urllib.parse
import urllib.request

import sqlalchemy as sa

from examples.todo_app.app import Todo


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def test_the_page_shows_what_the_test_wrote(txtest_live_server, txtest_session):
    txtest_session.add(Todo(title="buy milk"))
    txtest_session.commit()  # a savepoint: nothing is committed for good
    assert '<li class="todo">buy milk</li>' in get(txtest_live_server.url + "/")


def test_the_test_sees_what_the_form_committed(txtest_live_server, txtest_session):
    form = urllib.parse.urlencode({"title": "walk the dog"}).encode()
    urllib.request.urlopen(txtest_live_server.url_for("add_from_page"), data=form, timeout=30)
    assert txtest_session.scalars(sa.select(Todo.title)).all() == ["walk the dog"]


def test_the_next_test_sees_an_empty_list(txtest_live_server):
    assert "Nothing to do." in get(txtest_live_server.url_for("page"))
    assert txtest_live_server.url_for("page") == txtest_live_server.url + "/"
