from forum import Topic


def test_the_first_topic_gets_id_1(client):
    assert client.post("/topics", json={"title": "Hello"}).get_json() == {"id": 1}


def test_so_does_the_first_topic_of_the_next_test(client, database):
    assert client.post("/topics", json={"title": "Again"}).get_json() == {"id": 1}
    assert database.session.query(Topic).count() == 1
