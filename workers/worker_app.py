"""The Flask app the worker and beat processes run in: no routes, only resources."""

from __future__ import annotations

from celery.signals import worker_process_init
from flask import Flask

from config import Settings, load_settings
from config.celery import celery_config
from workers.celery_app import celery_init_app
from workers.resources import Resources


def create_worker_app(settings: Settings | None = None) -> Flask:
    """The Flask app the worker and beat processes run in (no routes, only resources)."""
    settings = settings or load_settings()
    app = Flask("workers")
    app.config["CELERY"] = celery_config(settings)
    resources = Resources.from_settings(settings)
    app.extensions["tracker"] = resources

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_: object) -> None:
        # Pooled connections must not cross a fork: each worker process opens its own.
        resources.database.engine.dispose(close=False)

    celery_init_app(app)
    return app
