"""Build a bench database: N plausible cases, written by the product's own bulk writer.

Run: ``.venv/bin/python bench/seed.py [--cases N] [--open N] [--touched N] [--url URL]``.

The database is dropped, created, migrated and given the demo catalogue
(``tracker.catalogue.DEMO_CATALOGUE``); the cases are drawn here (services, receipts,
statuses, supplement requests, closings) and written by ``tracker.cases.bulk_filing``, which
derives numbers, deadlines, the watch's place and the closing figures by the product's rules.
How it was seeded is stored as the database's comment (bench/common.py).

The draw keeps the closure figure exact: ``touched`` open cases are received in the two weeks
before "now" and have a due date that declaring the closure day D closed moves; every other
running case is due before D; cases waiting for documents have no due date.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from the checkout

from bench.common import (
    SeedRecord,
    bench_url,
    database_name,
    libpq_url,
    log,
    read_record,
    write_record,
)
from config.settings import normalise_database_url
from tracker.calendar.store import load_calendar
from tracker.cases.bulk_filing import CaseRecord, file_cases_in_bulk
from tracker.catalogue import DEMO_CATALOGUE
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.db import Database
from tracker.deadlines.engine import ClockPolicy, Pause, compute_deadline
from tracker.deadlines.limits import TimeLimit, parse_limit
from tracker.deadlines.timezones import TAIPEI, local_date, start_of_local_day
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.lifecycle import CaseStatus
from tracker.migrate import current_revision, head_revision, upgrade
from tracker.models import Service

DEFAULT_SEED = 20261122  # the same draw for the same parameters, run after run
OPEN_SHARE = 0.3  # of the cases in the main database (the closure's database: all open)
TOUCHED_MAX = 100_000
HISTORY_DAYS = 540  # about 18 months of receipts
TOUCHED_WINDOW_DAYS = 14
CLOSURE_LEAD_DAYS = 3  # D is the first working day at least this many days after "now"
OPEN_MEAN_AGE_DAYS = 45.0  # open cases are mostly recent; a long tail is months overdue
CHANNELS = (("counter", 70), ("online", 20), ("phone", 6), ("mail", 4))
CLOSED = ((CaseStatus.COMPLETED, 86), (CaseStatus.REJECTED, 8), (CaseStatus.WITHDRAWN, 6))
RUNNING = ((CaseStatus.RECEIVED, 33), (CaseStatus.IN_PROGRESS, 67))
AWAITING_SHARE = 0.08  # of the untouched open cases: waiting for documents, clock stopped
PAUSED_CLOSED = 0.02  # closed cases that had a supplement pause on the way
PAUSED_RUNNING = 0.04  # running cases whose documents already arrived
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝洪郭邱曾廖賴徐周葉蘇莊呂江何蕭羅高潘"
GIVEN = "志明美玲淑芬雅婷怡君家豪俊傑宗翰冠宇承恩宥廷品妤詩涵子晴建宏國華文雄秀英麗華惠如佩珊"
ITEMS = ("補正文件",)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ServiceInfo:
    """What drawing needs to know about one catalogue service."""

    code: str
    limit: TimeLimit
    clock: ClockPolicy
    steps: int


def closure_day(now: datetime, calendar: WorkCalendar) -> date:
    """The day the closure figure declares closed: a working day a few days after ``now``."""
    return calendar.next_working_day_on_or_after(local_date(now) + timedelta(CLOSURE_LEAD_DAYS))


class Drafter:
    """Draws case records; deadlines come from the engine, memoised per service and day."""

    def __init__(
        self, services: Sequence[ServiceInfo], calendar: WorkCalendar, now: datetime, seed: int
    ) -> None:
        self.services = list(services)
        self.day_based = [s for s in self.services if s.limit.is_day_based]
        if not self.day_based:
            raise ValueError("the catalogue has no day or month limits: nothing a closure moves")
        self.calendar, self.now, self.rng = calendar, now, random.Random(seed)
        self.closure = closure_day(now, calendar)
        self.closure_starts = start_of_local_day(self.closure)
        # The calendar as it will be once the benchmark declares D closed.
        self.closed_calendar = WorkCalendar(
            overrides=calendar.overrides, closures=[*calendar.closures, self.closure]
        )
        self.today = local_date(now)
        self.first_day = self.today - timedelta(HISTORY_DAYS)
        self._deadlines: dict[tuple[object, ...], tuple[date | None, datetime | None]] = {}
        self._serial = 0

    def closed(self) -> CaseRecord:
        """A finished case received any time in the last 18 months."""
        rng = self.rng
        service = rng.choice(self.services)
        channel = self._channel()
        received = self._received(self.first_day + timedelta(rng.randrange(HISTORY_DAYS)), channel)
        pause = None
        if service.limit.is_day_based and rng.random() < PAUSED_CLOSED:
            pause = self._resumed_pause(received)
        _, due_at = self._deadline(service, received, pause)
        assert due_at is not None  # the pause, if any, has ended
        # Most cases close well within the limit; about one in ten runs a little late.
        worked_from = pause[1] if pause else received
        closed_at = received + (due_at - received) * rng.uniform(0.05, 1.1)
        closed_at = min(max(closed_at, worked_from + timedelta(minutes=5)), self.now)
        status = rng.choices(*zip(*CLOSED, strict=True))[0]
        return self._record(service, received, status, channel, pause, closed_at)

    def open_untouched(self) -> CaseRecord:
        """An open case a closure on D leaves alone: due before D, or waiting for documents."""
        rng = self.rng
        if rng.random() < AWAITING_SHARE:
            service = rng.choice(self.day_based)
            channel = self._channel()
            received = self._received(self.today - timedelta(self._age()), channel)
            requested = received + timedelta(days=rng.randint(1, 5), minutes=rng.randrange(120))
            requested = min(requested, self.now)
            record = self._record(service, received, CaseStatus.AWAITING_SUPPLEMENT, channel)
            return _with_pause(record, requested, None)
        for attempt in range(50):
            service = rng.choice(self.services)
            channel = self._channel()
            # After ten tries, far enough back that any limit has run out before D.
            age = self._age() if attempt < 10 else rng.randrange(120, HISTORY_DAYS + 1)
            received = self._received(self.today - timedelta(age), channel)
            pause = None
            if service.limit.is_day_based and rng.random() < PAUSED_RUNNING:
                pause = self._resumed_pause(received)
            _, due_at = self._deadline(service, received, pause)
            if due_at is not None and due_at <= self.closure_starts:
                return self._record(service, received, self._running(pause), channel, pause)
        raise RuntimeError("could not draw an open case due before the closure day")

    def open_touched(self) -> CaseRecord:
        """An open case received shortly before D whose due date a closure of D moves."""
        rng = self.rng
        for _ in range(200):
            service = rng.choice(self.day_based)
            channel = self._channel()
            received = self._received(
                self.today - timedelta(rng.randrange(TOUCHED_WINDOW_DAYS + 1)), channel
            )
            pause = self._resumed_pause(received) if rng.random() < PAUSED_RUNNING else None
            due_date, _ = self._deadline(service, received, pause)
            # Running over D is not enough: a limit whose last day moves onto a weekend ends on
            # the same Monday either way. Only cases the closure moves, so "touched" is exact.
            if (
                due_date is not None
                and due_date >= self.closure
                and self._deadline(service, received, pause, closed=True)[0] != due_date
            ):
                return self._record(service, received, self._running(pause), channel, pause)
        raise RuntimeError(f"no service in the catalogue runs past {self.closure}")

    def _record(
        self,
        service: ServiceInfo,
        received: datetime,
        status: CaseStatus,
        channel: str,
        pause: tuple[datetime, datetime] | None = None,
        closed_at: datetime | None = None,
    ) -> CaseRecord:
        rng = self.rng
        self._serial += 1
        phone = f"+8869{rng.randrange(10**8):08d}" if rng.random() < 0.9 else None
        email = f"applicant{self._serial}@mail.example" if rng.random() < 0.25 else None
        # As filing defaults it: SMS to a mobile, email when given, both when both are.
        notify_by = "both" if phone and email else "sms" if phone else "email" if email else "none"
        if closed_at is not None:
            step = service.steps - 1
        else:
            step = 0 if status == CaseStatus.RECEIVED else min(1, service.steps - 1)
        record = CaseRecord(
            service_code=service.code,
            received_at=received,
            applicant_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            notify_by=notify_by,
            phone=phone,
            email=email,
            channel=channel,
            language="zh-TW" if rng.random() < 0.95 else "en",
            status=status,
            current_step=step,
            closed_at=closed_at,
        )
        return _with_pause(record, *pause) if pause else record

    def _running(self, pause: tuple[datetime, datetime] | None) -> CaseStatus:
        if pause:
            return CaseStatus.IN_PROGRESS  # documents arrived, so work has started
        return self.rng.choices(*zip(*RUNNING, strict=True))[0]

    def _age(self) -> int:
        return min(int(self.rng.expovariate(1 / OPEN_MEAN_AGE_DAYS)), HISTORY_DAYS)

    def _channel(self) -> str:
        return self.rng.choices(*zip(*CHANNELS, strict=True))[0]

    def _received(self, day: date, channel: str) -> datetime:
        """An instant on ``day`` (Taipei): office hours on a working day but online, any time."""
        rng = self.rng
        if channel == "online":
            minute = rng.randrange(24 * 60)
        else:
            while not self.calendar.is_working_day(day) and day > self.first_day:
                day -= _DAY
            minute = rng.randrange(8 * 60, 17 * 60 + 30)
        at = datetime.combine(day, clock_time(), TAIPEI) + timedelta(minutes=minute)
        at = at.astimezone(UTC)
        # Today's office hours may still lie ahead: such a case arrived a little before "now".
        return at if at <= self.now else self.now - timedelta(minutes=rng.randrange(1, 90))

    def _resumed_pause(self, received: datetime) -> tuple[datetime, datetime] | None:
        """Supplement asked 1-5 days after receipt, documents in 2-9 days later (None: not yet)."""
        rng = self.rng
        start = received + timedelta(days=rng.randint(1, 5), minutes=rng.randrange(120))
        end = start + timedelta(days=rng.randint(2, 9), hours=rng.randint(1, 6))
        return (start, end) if end <= self.now else None

    def _deadline(
        self,
        service: ServiceInfo,
        received: datetime,
        pause: tuple[datetime, datetime] | None,
        *,
        closed: bool = False,
    ) -> tuple[date | None, datetime | None]:
        """The engine's deadline (``closed``: once D is declared closed)."""
        key: tuple[object, ...] = (closed, service.code, received, pause)
        if service.limit.is_day_based:  # these depend only on local days
            days = (local_date(t) for t in (received, *(pause or ())))
            key = (closed, service.code, *days)
        found = self._deadlines.get(key)
        if found is None:
            deadline = compute_deadline(
                received,
                service.limit,
                self.closed_calendar if closed else self.calendar,
                pauses=(Pause(*pause),) if pause else (),
                clock=service.clock,
            )
            found = (deadline.due_date, deadline.overdue_at) if deadline else (None, None)
            self._deadlines[key] = found
        return found


def _with_pause(record: CaseRecord, start: datetime, end: datetime | None) -> CaseRecord:
    return replace(
        record, supplement_requested_at=start, supplement_arrived_at=end, supplement_items=ITEMS
    )


def draw(drafter: Drafter, cases: int, open_: int, touched: int) -> list[CaseRecord]:
    """``touched`` + untouched open cases, then closed ones, up to ``cases``."""
    return [
        drafter.open_touched()
        if i < touched
        else drafter.open_untouched()
        if i < open_
        else drafter.closed()
        for i in range(cases)
    ]


def recreate_database(url: str) -> None:
    """Drop and create the database at ``url`` (connecting to ``postgres`` on the same server)."""
    name = sql.Identifier(database_name(url))
    with psycopg.connect(libpq_url(url, database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def seed(
    url: str, *, cases: int, open_: int, touched: int | None = None, rng_seed: int = DEFAULT_SEED
) -> SeedRecord:
    """Drop, create, migrate and fill the database at ``url``; returns (and stores) the record."""
    touched = touched_for(open_) if touched is None else touched
    if not 0 <= touched <= open_ <= cases:
        raise ValueError(f"need 0 ≤ touched ({touched:,}) ≤ open ({open_:,}) ≤ cases ({cases:,})")
    started = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    log(f"seeding {database_name(url)}: {cases:,} cases, {open_:,} open, {touched:,} touched")
    recreate_database(url)
    upgrade(url)
    db = Database(url)
    try:
        with db.transaction() as session:
            load_catalogue(session, read_catalogue(DEMO_CATALOGUE), now=now)
        with db.sessions() as session:
            services = [
                ServiceInfo(
                    s.code,
                    parse_limit(s.current_version.time_limit),
                    ClockPolicy(s.current_version.supplement_clock),
                    len(s.current_version.steps),
                )
                for s in session.scalars(select(Service).order_by(Service.code))
                if s.active and s.current_version is not None
            ]
            # No DGPA rows or closures yet: every agency shares the city-wide calendar.
            calendar = load_calendar(session, None)
        drafter = Drafter(services, calendar, now, rng_seed)
        records = draw(drafter, cases, open_, touched)
        log(f"  drawn in {time.perf_counter() - started:,.0f} s; closure day {drafter.closure}")
        writing = time.perf_counter()
        with db.transaction() as session:
            file_cases_in_bulk(session, records, actor="import:bench", now=now)
        rate = cases / (time.perf_counter() - writing)
        log(f"  written by tracker.cases.bulk_filing ({rate:,.0f} cases/s); VACUUM ANALYZE")
    finally:
        db.dispose()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        row = conn.execute("SELECT coalesce(max(id), 0) FROM cases").fetchone()
    record = SeedRecord(
        cases=cases,
        open=open_,
        touched=touched,
        closure_day=drafter.closure.isoformat(),
        seeded_at=now.isoformat(),
        seconds=round(time.perf_counter() - started, 1),
        catalogue=DEMO_CATALOGUE.name,
        max_case_id=int(row[0]) if row else 0,
        rows_per_second=round(rate),
        schema=current_revision(url) or "none",
    )
    write_record(url, record)
    log(f"seeded {database_name(url)} in {record.seconds:,.1f} s")
    return record


def touched_for(open_: int) -> int:
    """The open cases a closure moves: 10% of the open ones, at most TOUCHED_MAX."""
    return min(TOUCHED_MAX, open_ // 10)


def ensure_seeded(url: str, *, cases: int, open_: int, force: bool) -> tuple[SeedRecord, bool]:
    """The seed record of ``url``, seeding it first when it is missing, was seeded otherwise or
    for an older schema (or ``force``); and whether this call seeded it."""
    touched = touched_for(open_)
    record = read_record(url)
    wanted = (cases, open_, touched, DEMO_CATALOGUE.name, head_revision())
    if record is not None and not force:
        if (record.cases, record.open, record.touched, record.catalogue, record.schema) == wanted:
            log(f"{database_name(url)}: seeded {record.seeded_at}, reusing it")
            return record, False
        log(f"{database_name(url)}: seeded otherwise, seeding again")
    return seed(url, cases=cases, open_=open_, touched=touched), True


def main() -> None:
    """Parse the command line and seed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in total")
    parser.add_argument("--open", type=int, default=300_000, help="of which open")
    parser.add_argument(
        "--touched", type=int, help="open cases the closure moves (10%% of open, ≤ 100,000)"
    )
    parser.add_argument("--url", help="database URL (default: BENCH_DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args()
    url = normalise_database_url(args.url) if args.url else bench_url()
    record = seed(url, cases=args.cases, open_=args.open, touched=args.touched, rng_seed=args.seed)
    print(json.dumps(record.__dict__, indent=2))


if __name__ == "__main__":
    main()
