"""The fault suite: every guard of flask_txtest, tripped on purpose on every backend it fits."""
