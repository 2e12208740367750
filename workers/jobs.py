"""The work behind each periodic task, shared by the Celery tasks and the embedded demo loop."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from notifications.dispatch import Dispatcher, DispatchReport
from tracker.cases.retention import purge
from tracker.db import Database
from tracker.operations.gauges import refresh_case_gauges
from tracker.operations.heartbeats import DISPATCH, SWEEP, record_heartbeat
from tracker.watch.sweep import sweep_batch

log = logging.getLogger(__name__)

# Cases per sweep transaction. Bigger batches pay the per-batch cost (staging tables, commit)
# less often; the price is that a clerk acting on a case inside a running batch waits for it.
SWEEP_BATCH = 5000
DISPATCH_BATCH = 200


def sweep_deadlines(database: Database, clock: Callable[[], datetime]) -> dict[str, int]:
    """Handle every case whose watch is due, one committed batch at a time."""
    totals: dict[str, int] = {"cases": 0}
    while True:
        with database.transaction() as session:
            now = clock()
            report = sweep_batch(session, now=now, batch_size=SWEEP_BATCH)
            if report.cases < SWEEP_BATCH:
                # The last batch of the run: everything due at ``now`` has been handled.
                record_heartbeat(session, SWEEP, now)
        totals["cases"] += report.cases
        for kind, count in report.handled.items():
            totals[kind] = totals.get(kind, 0) + count
        if report.cases < SWEEP_BATCH:
            break
    # Apart from the sweep's own transactions: a failed count never undoes a notice written.
    with database.transaction() as session:
        refresh_case_gauges(session, clock())
    if totals["cases"]:
        log.info("deadline watch: %s", totals)
    return totals


def dispatch_notices(dispatcher: Dispatcher, budget_seconds: float = 20.0) -> DispatchReport:
    """Send due notices until none are left or the time budget is spent."""
    total = DispatchReport()
    started = time.monotonic()
    try:
        while time.monotonic() - started < budget_seconds:
            report = dispatcher.dispatch_once(DISPATCH_BATCH)
            total.add(report)
            if report.claimed < DISPATCH_BATCH:
                break
        with dispatcher.db.transaction() as session:
            # Nothing due was left unclaimed at this instant (or the time budget ran out).
            record_heartbeat(session, DISPATCH, dispatcher.clock())
    finally:
        dispatcher.close()
    if total.claimed:
        # One line per run: each notice's own story is in its row (status, provider id, error).
        log.info("dispatch: %d claimed, %s", total.claimed, total.outcomes)
    return total


def purge_personal_data(database: Database, clock: Callable[[], datetime]) -> dict[str, int]:
    """Erase personal data past retention, in committed batches: the cases erased per service."""
    report = purge(database, clock())
    if report.total:
        # Counts per service only: the audit log has the same, batch by batch.
        log.info("retention purge: %d cases erased %s", report.total, dict(report.erased))
    return dict(report.erased)
