"""Filing latency: ``tracker.cases.filing.file_case`` + commit, against a one-row INSERT + commit.

Each filing is what a counter request does: a new session, ``file_case``, commit, close. The
baseline is the cheapest durable write the same engine can do (one row into ``case_counters`` and
a commit, which waits for the same WAL flush), interleaved one for one with the filings so both
see the same machine load. Everything the benchmark writes is removed afterwards.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, text

from bench.common import log
from tracker.cases.contact import CHANNELS
from tracker.cases.filing import Application, file_case
from tracker.db import Database
from tracker.models import Service

# Far from any real day, so that baseline rows never meet a real counter.
BASELINE_FIRST_DAY = date(2900, 1, 1)
SURNAMES = "陳林黃張李王吳劉蔡楊"
GIVEN = "志明美玲淑芬雅婷怡君家豪"


@dataclass(frozen=True)
class Percentiles:
    """Latency percentiles of one run, in milliseconds."""

    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, seconds: list[float]) -> Percentiles:
        """Percentiles of ``seconds`` (inclusive method: no extrapolation past the extremes)."""
        cuts = statistics.quantiles([s * 1000 for s in seconds], n=100, method="inclusive")
        return cls(cuts[49], cuts[94], cuts[98])

    def __str__(self) -> str:
        return f"p50 {self.p50:.2f} / p95 {self.p95:.2f} / p99 {self.p99:.2f} ms"


@dataclass(frozen=True)
class FilingFigures:
    """file_case and baseline percentiles per run."""

    filings: int
    warmup: int
    runs: list[Percentiles]
    baseline: list[Percentiles]


def _applications(db: Database, seed: int) -> Callable[[], Application]:
    """A source of varied, valid applications over every service open for filing."""
    with db.sessions() as session:
        codes = list(
            session.scalars(
                select(Service.code).where(Service.active.is_(True)).order_by(Service.code)
            )
        )
    rng = random.Random(seed)

    def next_application() -> Application:
        has_email = rng.random() < 0.25
        return Application(
            service_code=rng.choice(codes),
            applicant_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            phone=f"0912-{rng.randrange(1000):03d}-{rng.randrange(1000):03d}",
            email=f"bench{rng.randrange(10**6)}@mail.example" if has_email else None,
            channel=rng.choice(CHANNELS),
        )

    return next_application


def _file(db: Database, application: Application) -> float:
    started = time.perf_counter()
    with db.sessions() as session:
        file_case(session, application, actor="clerk:bench", now=datetime.now(UTC))
        session.commit()
    return time.perf_counter() - started


def _baseline(db: Database, day: date) -> float:
    started = time.perf_counter()
    with db.sessions() as session:
        session.execute(
            text("INSERT INTO case_counters (day, last) VALUES (:day, 1)"), {"day": day}
        )
        session.commit()
    return time.perf_counter() - started


def _checkpoint(db: Database) -> None:
    # Each run starts with no checkpoint pending, so one does not land in some runs only.
    with db.engine.connect() as conn:
        conn.execute(text("CHECKPOINT"))
        conn.commit()


def cleanup(db: Database, max_case_id: int) -> int:
    """Remove cases filed by the benchmark (id above the seed's) and the baseline rows.

    Counters of the days those cases were filed on are recomputed from the cases that remain,
    so a later run numbers its cases exactly as if this one had never happened.
    """
    with db.transaction() as session:
        params = {"m": max_case_id}
        for table in ("notices", "case_events", "pauses"):
            session.execute(text(f"DELETE FROM {table} WHERE case_id > :m"), params)
        days = sorted(
            session.scalars(
                text(
                    "WITH gone AS (DELETE FROM cases WHERE id > :m RETURNING number)"
                    " SELECT DISTINCT to_date(left(number, 8), 'YYYYMMDD') FROM gone"
                ),
                params,
            )
        )
        session.execute(
            text("DELETE FROM case_counters WHERE day >= :d OR day = ANY(:days)"),
            {"d": BASELINE_FIRST_DAY, "days": days},
        )
        session.execute(
            text(
                "INSERT INTO case_counters (day, last)"
                " SELECT to_date(left(number, 8), 'YYYYMMDD') AS day,"
                " max(right(number, -9)::int) FROM cases"
                " WHERE to_date(left(number, 8), 'YYYYMMDD') = ANY(:days) GROUP BY 1"
            ),
            {"days": days},
        )
    return len(days)


def measure_filing(
    db: Database, *, filings: int, warmup: int, runs: int, max_case_id: int
) -> FilingFigures:
    """Percentiles of ``runs`` runs of ``filings`` filings each, with the interleaved baseline."""
    cleanup(db, max_case_id)  # an interrupted earlier run may have left cases behind
    next_application = _applications(db, seed=runs * filings)
    baseline_day = iter(BASELINE_FIRST_DAY + timedelta(days=i) for i in range(10**6))
    try:
        log(f"filing: warm-up ({warmup} filings)")
        for _ in range(warmup):
            _file(db, next_application())
            _baseline(db, next(baseline_day))
        figures: list[Percentiles] = []
        baselines: list[Percentiles] = []
        for run in range(1, runs + 1):
            _checkpoint(db)
            filed: list[float] = []
            base: list[float] = []
            for _ in range(filings):
                application = next_application()  # drawn outside the timed call
                filed.append(_file(db, application))
                base.append(_baseline(db, next(baseline_day)))
            figures.append(Percentiles.of(filed))
            baselines.append(Percentiles.of(base))
            log(f"filing: run {run}/{runs}: file_case {figures[-1]}, baseline {baselines[-1]}")
    finally:
        log("filing: removing the benchmark's cases")
        cleanup(db, max_case_id)
    return FilingFigures(filings, warmup, figures, baselines)
