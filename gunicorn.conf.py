"""gunicorn's settings for ``gunicorn "web:create_app()"``, read from the working directory.

The command line (Dockerfile, docker-compose.yml) still says where to bind and how many workers.
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Take the loaded app out of the cyclic garbage collector's full passes.

    A worker's app is some 130,000 objects that live as long as the worker. Python's oldest
    generation is collected now and then (about every few thousand requests here), and each time
    it walked them all: some 60 ms, about 12 µs a request on average. Frozen, they are skipped;
    what requests allocate is still collected as before.
    """
    gc.freeze()
