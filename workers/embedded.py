"""The embedded default: the deadline watch and the dispatcher in a thread of one process.

Same code paths as the Celery tasks (``workers.jobs``), on a simple timer instead of beat.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from config.celery import SWEEP_EVERY
from notifications.dispatch import Dispatcher
from tracker.clock import utc_now
from tracker.db import Database
from workers import jobs

log = logging.getLogger(__name__)

# Locally there is no queue to wake the dispatcher, so it looks often; the sweep keeps its pace.
DISPATCH_EVERY = 1.0


class EmbeddedWorker(threading.Thread):
    """Runs the sweep and the dispatcher until stopped; errors are logged, never fatal."""

    def __init__(
        self,
        database: Database,
        dispatcher: Dispatcher,
        *,
        clock: Callable[[], datetime] = utc_now,
        on_round: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(name="embedded-worker", daemon=True)
        self.database = database
        self.dispatcher = dispatcher
        self.clock = clock
        self.on_round = on_round
        self.stopped = threading.Event()

    def run(self) -> None:
        """Alternate sweeps (every SWEEP_EVERY seconds) and dispatch rounds."""
        next_sweep = 0.0
        elapsed = 0.0
        while not self.stopped.is_set():
            try:
                if elapsed >= next_sweep:
                    jobs.sweep_deadlines(self.database, self.clock)
                    next_sweep = elapsed + SWEEP_EVERY
                jobs.dispatch_notices(self.dispatcher, budget_seconds=DISPATCH_EVERY)
                if self.on_round is not None:
                    self.on_round()
            except Exception:  # a bad round must not end the demo; the next one tries again
                log.exception("embedded worker round failed")
            self.stopped.wait(DISPATCH_EVERY)
            elapsed += DISPATCH_EVERY

    def stop(self) -> None:
        """Ask the loop to end after the current round."""
        self.stopped.set()
