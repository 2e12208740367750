"""The baseline of bench/web_status.py: a bare Flask "hello" app, served by the same gunicorn.

``gunicorn bench.web_hello:app`` (from the checkout). It reads the same cookie header the
status page gets and answers a short page, so the two differ only in what the app does.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Hello."""
    return "<!doctype html><title>hello</title><p>Hello, world!</p>"
