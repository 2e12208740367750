"""Periodic tasks: thin, safe to run twice, taking no arguments but the clock's reading."""

from __future__ import annotations

from celery import shared_task

from config.celery import TaskNames
from tracker.clock import utc_now
from workers import jobs
from workers.resources import resources


@shared_task(name=TaskNames.SWEEP)
def sweep_deadlines() -> dict[str, int]:
    """Write the notices of every trigger that has fallen due."""
    return jobs.sweep_deadlines(resources().database, utc_now)


@shared_task(name=TaskNames.REQUEUE)
def requeue_stuck_notices() -> int:
    """Re-queue notices a stopped worker left in "sending"."""
    return resources().dispatcher.requeue_stuck()


@shared_task(name=TaskNames.PURGE)
def purge_personal_data() -> dict[str, int]:
    """Erase the personal data of closed cases past their service's retention (個資法 Art. 11)."""
    return jobs.purge_personal_data(resources().database, utc_now)
