"""The daily retention purge: on beat's schedule, and run by the worker's own task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from celery.schedules import crontab
from sqlalchemy import select

from config import load_settings
from config.celery import BEAT_SCHEDULE, Queues, TaskNames
from tests.conftest import DATA
from tests.factories import create_case
from tracker.cases import closing
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.db import Database
from tracker.models import Case
from workers.worker_app import create_worker_app

LONG_AGO = datetime(2019, 3, 4, 2, 0, tzinfo=UTC)


def test_beat_runs_the_purge_once_a_day_on_the_watch_queue() -> None:
    entry = BEAT_SCHEDULE[TaskNames.PURGE]
    assert entry["task"] == "purge-personal-data"
    assert entry["options"]["queue"] == Queues.WATCH
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert (schedule.hour, schedule.minute) == ({3}, {30})
    assert len(schedule.day_of_week) == 7
    # A tick not run within hours is dropped: the next day's run does the work.
    assert entry["options"]["expires"] < timedelta(days=1).total_seconds()


def test_the_worker_task_erases_what_is_past_retention(database: Database, tmp_path: Path) -> None:
    with database.transaction() as s:
        load_catalogue(s, read_catalogue(DATA / "test-catalogue.yaml"), now=LONG_AGO)
        case_id = create_case(s, now=LONG_AGO).id
        open_id = create_case(s, now=LONG_AGO).id
    with database.transaction() as s:
        closing.complete(s, case_id, actor="clerk:test", now=LONG_AGO + timedelta(days=1))
    settings = load_settings(
        {
            "DATABASE_URL": database.url,
            "TRACKER_INSTANCE": str(tmp_path / "instance"),
            "SECRET_KEY": "purge-task-test-" + "k" * 32,
        }
    )
    app = create_worker_app(settings)
    try:
        celery = app.extensions["celery"]
        # What a starting worker imports: the modules its configuration includes.
        celery.loader.import_default_modules()
        task = celery.tasks[TaskNames.PURGE]
        assert task.apply().get() == {"five-wd": 1}
        assert task.apply().get() == {}  # nothing left: a second run is harmless
    finally:
        app.extensions["tracker"].database.dispose()
    with database.transaction() as s:
        names = {
            row.id: row.applicant_name for row in s.execute(select(Case.id, Case.applicant_name))
        }
    assert names == {case_id: "", open_id: "王小明"}
