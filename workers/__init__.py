"""Celery worker and beat: ``celery -A workers worker`` and ``celery -A workers beat``.

The Celery app is made on first use (PEP 562), so importing ``workers.celery_app`` from the web
app does not build a worker's resources.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "celery":
        from workers.worker_app import create_worker_app

        app = create_worker_app().extensions["celery"]
        globals()["celery"] = app
        return app
    raise AttributeError(name)
