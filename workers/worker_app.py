"""The Flask app the worker and beat processes run in: no routes, only resources."""

from __future__ import annotations

import logging
import os

from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    worker_process_init,
    worker_process_shutdown,
)
from flask import Flask

from config import Settings, load_settings
from config.celery import celery_config
from config.settings import require_strong_secret_key, startup_warnings
from tracker.operations.logs import use_json_logs
from workers.celery_app import celery_init_app
from workers.resources import Resources


def create_worker_app(settings: Settings | None = None) -> Flask:
    """The Flask app the worker and beat processes run in (no routes, only resources)."""
    settings = settings or load_settings()
    # Survey links and Mitake's callback path are signed with the key the web app checks.
    require_strong_secret_key(settings)
    app = Flask("workers")
    for warning in startup_warnings(settings):
        app.logger.warning(warning)
    app.config["CELERY"] = celery_config(settings)
    resources = Resources.from_settings(settings)
    app.extensions["tracker"] = resources

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_: object) -> None:
        # Pooled connections must not cross a fork: each worker process opens its own.
        resources.database.engine.dispose(close=False)

    @worker_process_shutdown.connect(weak=False)
    def _metrics_of_a_process_gone(pid: int | None = None, **_: object) -> None:
        # prometheus_client's multiprocess mode (/metrics): this pool process is gone.
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid or os.getpid())

    if settings.log_format == "json":

        @after_setup_logger.connect(weak=False)
        @after_setup_task_logger.connect(weak=False)
        def _json_lines(logger: logging.Logger, **_: object) -> None:
            use_json_logs(logger)

    celery_init_app(app)
    return app
