"""Sending tasks: claim due notices from the outbox and hand them to the providers."""

from __future__ import annotations

from celery import shared_task

from config.celery import TaskNames
from workers import jobs
from workers.resources import resources


@shared_task(name=TaskNames.DISPATCH)
def dispatch_notices() -> dict[str, int]:
    """Send what is due; the outbox rows say what, so running twice sends nothing twice."""
    report = jobs.dispatch_notices(resources().dispatcher)
    return {"claimed": report.claimed, **report.outcomes}
