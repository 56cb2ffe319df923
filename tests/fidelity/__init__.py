"""Fidelity: inside a test, the app sees what production would (issue 13).

PLACEHOLDER
"""
