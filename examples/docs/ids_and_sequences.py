"""Ids and sequences: reset_sequences, and ids that do not depend on it (docs)."""

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase

db = SQLAlchemy()


class Ticket(db.Model):
    __tablename__ = "docs_ids_ticket"
    id = db.Column(db.Integer, primary_key=True)
    subject = db.Column(db.String(100), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)

    @app.post("/tickets")
    def open_ticket():
        ticket = Ticket(subject=request.json["subject"])
        db.session.add(ticket)
        db.session.commit()
        return jsonify(id=ticket.id, url=f"/tickets/{ticket.id}"), 201

    return app


class TicketIdTests(TransactionalTestCase):
    reset_sequences = True

    def create_app(self):
        return create_app()

    def test_first_ticket_is_number_one(self):
        response = self.client.post("/tickets", json={"subject": "Printer on fire"})
        self.assertEqual(response.get_json(), {"id": 1, "url": "/tickets/1"})

    def test_and_so_it_is_here_too(self):
        response = self.client.post("/tickets", json={"subject": "Coffee machine"})
        self.assertEqual(response.get_json()["id"], 1)


class TicketTestsOnAnyDatabase(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def test_ids_compared_with_each_other(self):
        first = self.client.post("/tickets", json={"subject": "a"}).get_json()
        second = self.client.post("/tickets", json={"subject": "b"}).get_json()
        self.assertGreater(second["id"], first["id"])
        self.assertEqual(second["url"], f"/tickets/{second['id']}")
