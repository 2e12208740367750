"""Celery settings: queues, the beat schedule, and delivery guarantees, in one place."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab
from kombu import Queue

from config.settings import Settings


class Queues:
    """Queue names: periodic ticks never wait behind a backlog of notices to send."""

    WATCH = "deadline-watch"
    SEND = "send-notices"


class TaskNames:
    SWEEP = "sweep-deadlines"
    DISPATCH = "dispatch-notices"
    REQUEUE = "requeue-stuck-notices"
    PURGE = "purge-personal-data"


SWEEP_EVERY = 15.0  # seconds: a due instant is swept within 30 s, even with one tick missed
DISPATCH_EVERY = 2.0
REQUEUE_EVERY = 60.0
# Daily, in the quiet of the night (Asia/Taipei, the app's timezone): personal data past
# retention goes within a day. A run cut short is finished by the next; a missed day by the next.
PURGE_AT = crontab(hour=3, minute=30)
PURGE_EXPIRES = 6 * 3600.0

# The database is the schedule: beat only sends wake-ups. Each expires before the next one, so a
# worker that was down does not come back to a pile of stale ticks.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    TaskNames.SWEEP: {
        "task": TaskNames.SWEEP,
        "schedule": SWEEP_EVERY,
        "options": {"queue": Queues.WATCH, "expires": SWEEP_EVERY},
    },
    TaskNames.DISPATCH: {
        "task": TaskNames.DISPATCH,
        "schedule": DISPATCH_EVERY,
        "options": {"queue": Queues.SEND, "expires": DISPATCH_EVERY * 5},
    },
    TaskNames.REQUEUE: {
        "task": TaskNames.REQUEUE,
        "schedule": REQUEUE_EVERY,
        "options": {"queue": Queues.WATCH, "expires": REQUEUE_EVERY},
    },
    TaskNames.PURGE: {
        "task": TaskNames.PURGE,
        "schedule": PURGE_AT,
        "options": {"queue": Queues.WATCH, "expires": PURGE_EXPIRES},
    },
}


def celery_config(settings: Settings) -> dict[str, Any]:
    """The Celery configuration for these settings (Flask's ``CELERY`` config key)."""
    redis_url = settings.redis_url or "redis://127.0.0.1:6379/0"
    return {
        "broker_url": redis_url,
        "task_ignore_result": True,
        "include": ["workers.scheduled_tasks", "workers.provider_tasks"],
        # Declared, so that a plain `celery -A workers worker` consumes both queues.
        "task_queues": [Queue(Queues.WATCH), Queue(Queues.SEND)],
        "task_default_queue": Queues.WATCH,
        "task_routes": {TaskNames.DISPATCH: {"queue": Queues.SEND}},
        # A task is a wake-up (the work is in PostgreSQL), acknowledged when received: one lost
        # with a killed worker is sent again at the next tick, and claims cut short are
        # re-queued by requeue_stuck. Acknowledging late gained nothing and cost the worker
        # itself: kombu 5.7 ends a worker ("Unrecoverable error") when Redis goes away while it
        # holds an unacknowledged task (tests/workers/test_faults.py).
        "task_acks_late": False,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": 300},
        "beat_schedule": BEAT_SCHEDULE,
        # One active beat among many, guarded by a lock in Redis (celery-redbeat).
        "beat_scheduler": "workers.beat:ResilientRedBeatScheduler",
        "redbeat_redis_url": redis_url,
        "redbeat_lock_timeout": 30,
        "beat_max_loop_interval": 5,
        "timezone": "Asia/Taipei",
        "enable_utc": True,
    }
