"""The tests every recipe runs: the same test bodies, whatever isolates them."""

from .shop import db


class OrderScenarios:
    """Tests of the shop that only pass when each test starts from an empty table."""

    def test_a_duplicate_is_refused_and_the_next_order_placed(self):
        self.assertEqual(self.client.post("/orders", json={"item": "lamp"}).status_code, 201)
        self.assertEqual(self.client.post("/orders", json={"item": "lamp"}).status_code, 409)
        self.assertEqual(self.client.post("/orders", json={"item": "desk"}).status_code, 201)
        self.assertEqual(self.client.get("/orders").get_json(), {"count": 2})

    def test_a_bulk_import(self):
        response = self.client.post("/orders/import", json={"items": ["lamp", "desk"]})
        self.assertEqual(response.get_json(), {"count": 2})

    def test_an_order_placed_through_the_api(self):
        response = self.client.post("/orders", json={"item": "lamp"})
        self.assertEqual(response.get_json(), {"count": 1})


def create_tables(app):
    with app.app_context():
        db.create_all()
