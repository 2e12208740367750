"""gunicorn's settings for ``gunicorn "web:create_app()"``, read from the working directory.

The command line (Dockerfile, docker-compose.yml) still says where to bind and how many workers.
"""

from __future__ import annotations

import gc
import os
from typing import Any

# LOG_FORMAT=json: gunicorn's own lines (start-up, errors, the access log) as JSON objects too,
# formatted as the app's (tracker.operations.logs).
if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    _handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "tracker.operations.logs.JsonFormatter"}},
        "handlers": {"json": _handler},
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["json"], "propagate": False},
        },
    }


def post_worker_init(worker: Any) -> None:
    """Take the loaded app out of the cyclic garbage collector's full passes.

    A worker's app is some 130,000 objects that live as long as the worker. Python's oldest
    generation is collected now and then (about every few thousand requests here), and each time
    it walked them all: some 60 ms, about 12 µs a request on average. Frozen, they are skipped;
    what requests allocate is still collected as before.
    """
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    """Tell prometheus_client's multiprocess mode that this worker is gone (/metrics)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
