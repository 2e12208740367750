"""The fault-injection run of issue #6: cases fall due while everything around them fails.

N cases become overdue, their due instants spread over a short window, while the real Celery
worker nodes are SIGKILLed every few seconds (and started again at once, as a supervisor would),
the Redis they use is killed and restarted twice (it comes back empty), the PostgreSQL cluster
crashes once (``pg_ctl restart -m immediate``), and the Twilio stand-in fails a share of calls
with HTTP 500 and a share with timeouts (half of those after it took the message). At the end:

- **lost**: cases whose overdue SMS never reached the stand-in (goal 0);
- **duplicates**: the same case's overdue SMS accepted more than once, each with its story from
  the evidence (what the stand-in answered, the kills, the lookups in the message list);
- **impossible states**: anything the lifecycle forbids, e.g. an overdue notice on a case not
  marked overdue, a row left in ``sending``, a status outside the lifecycle, a recorded
  provider id the stand-in never gave out.

Used by tests/workers/test_fault_injection.py (a CI-sized run) and bench/faults.py (the full one).
``FaultPlan.gateway = "mitake"`` runs it through 三竹 Mitake's stand-in instead of Twilio's
(tests/workers/fault_gateways.py): there a resend is refused by the gateway itself (its
``clientid``), where Twilio's is looked up first.

The time lapse. The product waits on purpose: a failed send backs off (15 s, 30 s, ... up to an
hour) and a claim a dead worker left in ``sending`` is re-queued after 2 minutes. The run does
not wait those out. It moves the data instead, as tests/workers/test_faults.py does, never the
children's clock: every second it brings backed-off rows' ``not_before`` forward to now, and it
makes claims older than ``stuck_after`` seconds look 2 minutes old, then runs the product's own
``requeue_stuck``. ``stuck_after`` (40 s) is longer than any live batch takes here (200 notices
on 8 threads, 5% of them waiting out the 10 s client timeout: about 15 s, rarely 25 s); were a
live claim taken for a dead one, the product's guard (a result is recorded only while the claim
is still its own) and the lookup before a resend are what would keep it from doubling.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from config import load_settings
from config.celery import DISPATCH_EVERY, SWEEP_EVERY
from notifications.channels import channels_from_settings
from notifications.dispatch import MAX_ATTEMPTS, STUCK_AFTER, Dispatcher
from tests.conftest import DATA
from tests.factories import create_case
from tests.support.processes import Child, Processes, child_env, free_port
from tests.support.servers import PrivatePostgres, RedisServer
from tests.support.smtp_sink import SmtpSink
from tests.support.twilio_standin import Received, TwilioStandin
from tests.workers.fault_gateways import MitakeForFaults
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.db import Database
from tracker.lifecycle import OPEN_STATUSES, CaseStatus
from tracker.migrate import upgrade
from tracker.notices.outbox import FINAL_STATUSES, PENDING, SENDING, SENT

SERVICE = "five-wd"
OVERDUE_MARK = "逾期"  # how the zh-TW overdue SMS names itself, after the department
# The product's Twilio client gives up after 10 s (notifications/channels/twilio_sms.py): an
# injected timeout answers later than that, so the client really times out.
LATE_ANSWER = 12.0
NOTICE_STATUSES = frozenset({PENDING, SENDING, SENT, *FINAL_STATUSES})
# A worker that loses Redis while a task is unacknowledged exits (celery 5.7.0 closes the broken
# connection after kombu 5.7.0's collect() has cleared its transport's client, and restoring the
# unacked message then reads ``None.hostname``). The supervisor starts it again; the database is
# the schedule, so nothing is lost. Known, so counted apart from exits nobody can explain.
KOMBU_RECONNECT_BUG = (
    "Unrecoverable error: AttributeError(\"'NoneType' object has no attribute 'hostname'\")"
)
FAULT_DATABASE = "tracker_faults"
WATCH_CATALOGUE = DATA / "watch-catalogue.yaml"

Progress = Callable[[str], None]


def phone(i: int) -> tuple[str, str]:
    """Applicant ``i``'s mobile number as typed and as Twilio receives it (distinct per case)."""
    return f"0912-{i // 1000:03d}-{i % 1000:03d}", f"+886912{i:06d}"


@dataclass(frozen=True)
class FaultPlan:
    """What happens in a run; the defaults are issue #6's full run."""

    cases: int = 10_000
    lead: float = 20.0  # from the processes being up to the first due instant, seconds
    window: float = 60.0  # the due instants spread evenly over this
    workers: int = 2  # worker nodes, each `celery -A workers worker --concurrency 2`
    kill_every: tuple[float, float] = (4.0, 8.0)  # seconds between two kills, uniform
    redis_restarts: int = 2
    redis_outage: float = 3.0  # seconds Redis stays away each time
    postgres_restarts: int = 1
    server_errors: float = 0.20  # share of provider calls answered HTTP 500
    timeouts: float = 0.05  # share answered only after the client's timeout
    timeouts_accepted: float = 0.5  # share of those timeouts whose message was taken first
    # Faults go on at least this long (default: the window and two sweeps after it), then until
    # every case's overdue SMS reached the stand-in, at most ``max_faults``.
    min_faults: float | None = None
    max_faults: float = 900.0
    drain_timeout: float = 300.0  # after the faults stop, for the last retries to settle
    stuck_after: float = 40.0  # the time lapse's shorter STUCK_AFTER (see the module doc)
    seed: int = 6
    gateway: str = "twilio"  # or "mitake" (tests/workers/fault_gateways.py)

    @property
    def fault_span(self) -> float:
        """The least time the faults go on; the scheduled restarts fall inside it."""
        if self.min_faults is not None:
            return self.min_faults
        return self.lead + self.window + 2 * SWEEP_EVERY

    def restart_times(self) -> list[tuple[float, str]]:
        """When Redis and PostgreSQL go down, seconds into the faults, spread over the span."""
        span, redis_n, postgres_n = self.fault_span, self.redis_restarts, self.postgres_restarts
        redis = [span * (2 * i + 1) / (2 * redis_n + 1) for i in range(redis_n)]
        postgres = [span * (j + 1) / (postgres_n + 1) for j in range(postgres_n)]
        return sorted([(t, "redis") for t in redis] + [(t, "postgres") for t in postgres])


@dataclass
class Duplicate:
    """One case whose overdue SMS the stand-in accepted more than once, and why."""

    case_number: str
    accepted: int
    story: str
    explained: bool  # the first answer demonstrably never reached the worker (the known window)


@dataclass
class FaultReport:
    """What a run did and found."""

    cases: int
    overdue_written: int = 0  # overdue SMS rows the sweeps wrote
    overdue_sent: int = 0  # cases whose overdue SMS reached the stand-in
    lost: list[str] = field(default_factory=list)  # case numbers
    duplicates: list[Duplicate] = field(default_factory=list)
    impossible: list[str] = field(default_factory=list)
    kills: int = 0
    kills_by_node: dict[str, int] = field(default_factory=dict)
    self_exits: dict[str, list[int]] = field(default_factory=dict)  # exits we did not cause
    known_exits: dict[str, int] = field(default_factory=dict)  # of those, KOMBU_RECONNECT_BUG
    redis_restarts: int = 0
    postgres_restarts: int = 0
    postgres_down_seconds: list[float] = field(default_factory=list)
    provider_calls: int = 0
    provider_accepted: int = 0
    provider_5xx: int = 0
    provider_timeouts: int = 0
    provider_timeouts_accepted: int = 0
    lookups: int = 0  # reads of the message list (the lookup before a resend)
    repeats_refused: int = 0  # sends Mitake answered as a repeat of their clientid
    hurried: int = 0  # rows whose backoff the time lapse cut short
    aged: int = 0  # claims the time lapse made look 2 minutes old
    requeued: int = 0  # rows the product's requeue_stuck then put back
    attempts: Counter[int] = field(default_factory=Counter)  # overdue SMS rows by attempts
    outcomes: dict[str, int] = field(default_factory=dict)  # overdue SMS rows by status
    due_to_accepted: list[float] = field(default_factory=list)  # seconds, first acceptance
    setup_seconds: float = 0.0
    fault_seconds: float = 0.0
    drain_seconds: float = 0.0
    total_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # what the fault threads hit

    @property
    def duplicate_count(self) -> int:
        """Acceptances beyond the first, over all cases."""
        return sum(d.accepted - 1 for d in self.duplicates)

    @property
    def unexplained_exits(self) -> dict[str, int]:
        """Per process, exits that were neither our kills nor the known kombu bug."""
        found = {
            name: len(codes) - self.known_exits.get(name, 0)
            for name, codes in self.self_exits.items()
        }
        return {name: count for name, count in found.items() if count > 0}

    @property
    def unexplained(self) -> list[Duplicate]:
        """Duplicates outside the known window."""
        return [d for d in self.duplicates if not d.explained]

    def percentile(self, share: float) -> float:
        """Due instant to the stand-in's first acceptance, nearest rank."""
        ordered = sorted(self.due_to_accepted)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    def summary(self) -> str:
        """One paragraph for a test's output."""
        return (
            f"{self.cases} cases: {self.overdue_sent} overdue SMS at the stand-in, "
            f"{len(self.lost)} lost, {self.duplicate_count} duplicates "
            f"({len(self.unexplained)} unexplained), {len(self.impossible)} impossible states; "
            f"{self.kills} kills {self.kills_by_node}, exits by themselves {self.self_exits} "
            f"(kombu bug {self.known_exits}), Redis restarted {self.redis_restarts}x, "
            f"PostgreSQL {self.postgres_restarts}x; provider: {self.provider_calls} calls, "
            f"{self.provider_5xx} 5xx, {self.provider_timeouts} timeouts "
            f"({self.provider_timeouts_accepted} accepted), {self.lookups} lookups, "
            f"{self.repeats_refused} repeats refused by the gateway; "
            f"time lapse: {self.hurried} hurried, {self.aged} aged, {self.requeued} re-queued; "
            f"attempts {dict(sorted(self.attempts.items()))}; due to stand-in p50 "
            f"{self.percentile(0.5):.1f} s, max {self.percentile(1.0):.1f} s; "
            f"setup {self.setup_seconds:.0f} s, faults {self.fault_seconds:.0f} s, drain "
            f"{self.drain_seconds:.0f} s, total {self.total_seconds:.0f} s"
        )


# --- the parts -------------------------------------------------------------------------------


def prepare_database(cluster: PrivatePostgres) -> Database:
    """A migrated database on the private cluster with the watch catalogue loaded."""
    url = cluster.create_database(FAULT_DATABASE)
    upgrade(url)
    database = Database(url)
    with database.transaction() as session:
        load_catalogue(session, read_catalogue(WATCH_CATALOGUE), now=datetime.now(UTC))
    return database


@dataclass
class FaultParts:
    """Everything a run needs, started: what the test's fixtures give, for bench/faults.py."""

    postgres: PrivatePostgres
    database: Database
    redis: RedisServer
    standin: TwilioStandin
    processes: Processes


@contextmanager
def fault_parts(directory: Path, gateway: str = "twilio") -> Iterator[FaultParts]:
    """Start a private PostgreSQL and Redis, the stand-in and an SMTP sink; stop all at the end.

    ``gateway``: the SMS gateway the children send through, ``twilio`` or ``mitake``.
    """
    redis_server = RedisServer(directory / "redis")
    postgres = PrivatePostgres().init().start()
    standin: Any = MitakeForFaults() if gateway == "mitake" else TwilioStandin()
    processes: Processes | None = None
    database: Database | None = None
    try:
        database = prepare_database(postgres)
        redis_server.start()
        standin.start()
        with SmtpSink() as sink:
            env = child_env(
                database_url=database.url,
                redis_url=redis_server.url,
                # While Mitake sends (SMS_PROVIDER=mitake), nothing listens at Twilio's address.
                twilio_api_base=(
                    "http://127.0.0.1:9"
                    if isinstance(standin, MitakeForFaults)
                    else standin.base_url
                ),
                smtp_url=sink.url(),
                web_port=free_port(),
                instance=directory / "instance",
            )
            if isinstance(standin, MitakeForFaults):
                env |= standin.env()
            processes = Processes(env, directory / "logs")
            try:
                yield FaultParts(postgres, database, redis_server, standin, processes)
            finally:
                processes.close()
    finally:
        standin.stop()
        redis_server.stop()
        if database is not None:
            database.dispose()
        postgres.stop()


# --- the run ---------------------------------------------------------------------------------


def run_faults(
    plan: FaultPlan,
    *,
    database: Database,
    postgres: PrivatePostgres,
    redis_server: RedisServer,
    standin: TwilioStandin,
    processes: Processes,
    progress: Progress = print,
) -> FaultReport:
    """File the cases, start the processes, make the cases fall due under faults; the report."""
    report = FaultReport(cases=plan.cases)
    began = time.monotonic()
    numbers = _file_cases(database, plan.cases, progress)
    report.setup_seconds = time.monotonic() - began

    workers = [
        processes.worker(f"worker-{chr(ord('a') + i)}", supervised=True)
        for i in range(plan.workers)
    ]
    beat = processes.beat(supervised=True)
    processes.supervise()
    standin.timeout_seconds = LATE_ANSWER
    standin.set_failure_rates(
        server_error=plan.server_errors,
        timeout=plan.timeouts,
        timeout_accepted=plan.timeouts_accepted,
        seed=plan.seed,
    )
    due_from = datetime.now(UTC) + timedelta(seconds=plan.lead)
    _make_due(database, due_from, plan.window)
    progress(
        f"faults: {plan.cases:,} cases due from {due_from:%H:%M:%S} over {plan.window:.0f} s; "
        f"{plan.workers} worker nodes, kills every {plan.kill_every[0]:.0f}-"
        f"{plan.kill_every[1]:.0f} s, restarts at {_schedule_text(plan)}"
    )

    settings = load_settings(processes.env)
    dispatcher = Dispatcher(database, channels_from_settings(settings), settings)
    faults = _Faults(plan, workers, redis_server, postgres, report)
    lapse = _TimeLapse(database, dispatcher, plan.stuck_after, report)
    fault_began = time.monotonic()
    lapse.start()
    faults.start()
    try:
        _watch(database, standin, numbers, plan, faults, fault_began, progress)
    finally:
        faults.stop()
    report.fault_seconds = time.monotonic() - fault_began
    progress(f"faults stopped after {report.fault_seconds:.0f} s; draining")

    drain_began = time.monotonic()
    try:
        _drain(database, plan, progress)
    finally:
        lapse.stop()
        standin.set_failure_rates()
    report.drain_seconds = time.monotonic() - drain_began
    report.total_seconds = time.monotonic() - began

    for child in [*workers, beat]:
        report.self_exits[child.name] = [code for code in child.exits if code != -9]
        report.known_exits[child.name] = child.log().count(KOMBU_RECONNECT_BUG)
    _count_provider(standin, report)
    _judge(database, standin, numbers, faults.kill_log, report)
    report.errors.extend(faults.errors + lapse.errors)
    return report


def _schedule_text(plan: FaultPlan) -> str:
    return ", ".join(f"{what} {at:.0f} s" for at, what in plan.restart_times())


def _file_cases(database: Database, count: int, progress: Progress) -> dict[str, str]:
    """File ``count`` cases, each with its own mobile number; E.164 number -> case number.

    The cases stand for ones filed days ago: the receipts filing wrote are not this run's
    subject (and would double the provider traffic), so they leave the outbox.
    """
    numbers: dict[str, str] = {}
    now = datetime.now(UTC)
    chunk = 500
    for start in range(0, count, chunk):
        with database.transaction() as session:
            for i in range(start, min(start + chunk, count)):
                typed, e164 = phone(i)
                case = create_case(session, SERVICE, now=now, phone=typed, notify_by="sms")
                numbers[e164] = case.number
        if start and start % 2000 == 0:
            progress(f"filing: {start:,} / {count:,} cases")
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM notices"))
    progress(f"filed {count:,} cases")
    return numbers


def _make_due(database: Database, start: datetime, window: float) -> None:
    """Every case falls due at an instant of its own, evenly over [start, start + window)."""
    with database.engine.begin() as connection:
        count = int(connection.scalar(text("SELECT count(*) FROM cases")) or 0)
        connection.execute(
            text(
                "WITH chosen AS (SELECT id, CAST(:start AS timestamptz)"
                "   + (row_number() OVER (ORDER BY md5(id::text)) - 1)"
                "     * (CAST(:window AS interval) / :n) AS due FROM cases)"
                " UPDATE cases c SET due_at = chosen.due,"
                "   due_date = (chosen.due AT TIME ZONE 'Asia/Taipei')::date,"
                "   watch_at = chosen.due, watched_until = now(),"
                "   expected_completion = NULL, overdue_since = NULL"
                " FROM chosen WHERE c.id = chosen.id"
            ),
            {"start": start, "window": timedelta(seconds=window), "n": max(count, 1)},
        )


class _Faults:
    """The fault thread: kills on a random beat, Redis and PostgreSQL restarts on a schedule."""

    def __init__(
        self,
        plan: FaultPlan,
        workers: list[Child],
        redis_server: RedisServer,
        postgres: PrivatePostgres,
        report: FaultReport,
    ) -> None:
        self.plan = plan
        self.workers = workers
        self.redis = redis_server
        self.postgres = postgres
        self.report = report
        self.rng = random.Random(plan.seed)
        self.kill_log: list[tuple[datetime, str]] = []
        self.errors: list[str] = []
        self.scheduled_done = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faults", daemon=True)

    def start(self) -> None:
        """Begin the faults."""
        self._thread.start()

    def stop(self) -> None:
        """End the faults, leaving Redis running."""
        self._stopping.set()
        self._thread.join(timeout=120)
        if not self.redis.running:
            self.redis.start()

    def _run(self) -> None:
        began = time.monotonic()
        schedule = self.plan.restart_times()
        next_kill = self.rng.uniform(*self.plan.kill_every)
        redis_back_at: float | None = None
        turn = 0
        try:
            while not self._stopping.wait(0.05):
                now = time.monotonic() - began
                if redis_back_at is not None and now >= redis_back_at:
                    self.redis.start()
                    redis_back_at = None
                    self.report.redis_restarts += 1
                if schedule and now >= schedule[0][0] and redis_back_at is None:
                    _, what = schedule.pop(0)
                    if what == "redis":
                        self.redis.kill()  # no RDB, no AOF: it comes back empty
                        redis_back_at = now + self.plan.redis_outage
                    else:
                        self.report.postgres_down_seconds.append(self.postgres.restart())
                        self.report.postgres_restarts += 1
                if not schedule and redis_back_at is None:
                    self.scheduled_done.set()
                if now >= next_kill:
                    # Round robin: the node killed longest ago, so each runs between its kills.
                    node = self.workers[turn % len(self.workers)]
                    turn += 1
                    node.crash()
                    self.kill_log.append((datetime.now(UTC), node.name))
                    self.report.kills += 1
                    self.report.kills_by_node[node.name] = (
                        self.report.kills_by_node.get(node.name, 0) + 1
                    )
                    next_kill = now + self.rng.uniform(*self.plan.kill_every)
        except Exception as exc:  # in a thread: the main loop reports it
            self.errors.append(f"fault thread: {type(exc).__name__}: {exc}")
            self.scheduled_done.set()


class _TimeLapse:
    """Cuts short the product's deliberate waits by moving the data (see the module doc)."""

    def __init__(
        self, database: Database, dispatcher: Dispatcher, stuck_after: float, report: FaultReport
    ) -> None:
        self.database = database
        self.dispatcher = dispatcher
        self.stuck_after = timedelta(seconds=stuck_after)
        self.report = report
        self.errors: list[str] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="time-lapse", daemon=True)

    def start(self) -> None:
        """Begin."""
        self._thread.start()

    def stop(self) -> None:
        """End."""
        self._stopping.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopping.wait(1.0):
            try:
                self._step()
            except DBAPIError:
                continue  # PostgreSQL is restarting: next second
            except Exception as exc:  # reported at the end, not fatal to the run
                self.errors.append(f"time lapse: {type(exc).__name__}: {exc}")

    def _step(self) -> None:
        with self.database.engine.begin() as connection:
            hurried = connection.execute(
                text(
                    "UPDATE notices SET not_before = now()"
                    " WHERE status = 'pending' AND not_before > now()"
                )
            ).rowcount
            aged = connection.execute(
                text(
                    "UPDATE notices SET claimed_at = claimed_at - CAST(:older AS interval)"
                    " WHERE status = 'sending' AND claimed_at < now() - CAST(:stuck AS interval)"
                ),
                {"older": STUCK_AFTER, "stuck": self.stuck_after},
            ).rowcount
        self.report.hurried += hurried
        self.report.aged += aged
        if aged:
            self.report.requeued += self.dispatcher.requeue_stuck()


def _accepted_overdue(standin: TwilioStandin) -> list[Received]:
    return [r for r in standin.accepted if OVERDUE_MARK in (r.body or "")]


def _outbox(database: Database) -> dict[str, int]:
    """Overdue SMS rows by status, and every unsettled row (``open``)."""
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT status, count(*) FROM notices"
                " WHERE kind = 'overdue' AND channel = 'sms' GROUP BY status"
            )
        ).all()
        unsettled = connection.scalar(
            text("SELECT count(*) FROM notices WHERE status IN ('pending', 'sending')")
        )
    counts = {str(status): int(n) for status, n in rows}
    counts["open"] = int(unsettled or 0)
    return counts


def _watch(
    database: Database,
    standin: TwilioStandin,
    numbers: dict[str, str],
    plan: FaultPlan,
    faults: _Faults,
    began: float,
    progress: Progress,
) -> None:
    """Wait while the faults go on: past the span, the restarts done, every case's SMS sent."""
    last_report = 0.0
    while True:
        time.sleep(1.0)
        elapsed = time.monotonic() - began
        reached = {r.to for r in _accepted_overdue(standin)} & numbers.keys()
        if faults.errors:
            return
        if elapsed - last_report >= 10:
            last_report = elapsed
            try:
                outbox = _outbox(database)
            except DBAPIError:
                outbox = {"database": 0}  # restarting
            progress(
                f"  {elapsed:4.0f} s: {len(reached):,} / {len(numbers):,} cases reached, "
                f"outbox {outbox}, {faults.report.kills} kills, Redis "
                f"{faults.report.redis_restarts}x, PostgreSQL {faults.report.postgres_restarts}x"
            )
        done = len(reached) == len(numbers) and faults.scheduled_done.is_set()
        if (elapsed >= plan.fault_span and done) or elapsed >= plan.max_faults:
            return


def _drain(database: Database, plan: FaultPlan, progress: Progress) -> None:
    """Wait until no notice is pending or sending; then two more dispatch ticks for stragglers."""
    deadline = time.monotonic() + plan.drain_timeout
    while time.monotonic() < deadline:
        try:
            outbox = _outbox(database)
        except DBAPIError:
            time.sleep(1.0)
            continue
        if outbox["open"] == 0:
            time.sleep(DISPATCH_EVERY * 2)
            return
        time.sleep(1.0)
    progress(f"drain: gave up after {plan.drain_timeout:.0f} s with {_outbox(database)}")


def _count_provider(standin: TwilioStandin, report: FaultReport) -> None:
    received = standin.received
    report.provider_calls = len(received)
    report.provider_accepted = sum(r.status == 201 for r in received)
    report.provider_5xx = sum(500 <= r.status < 600 and r.status != 504 for r in received)
    report.provider_timeouts_accepted = sum(r.late_answer for r in received)
    report.provider_timeouts = sum(r.status == 504 for r in received) + (
        report.provider_timeouts_accepted
    )
    report.lookups = len(standin.lookups)
    if isinstance(standin, MitakeForFaults):
        report.repeats_refused = standin.repeats


def _judge(
    database: Database,
    standin: TwilioStandin,
    numbers: dict[str, str],
    kills: list[tuple[datetime, str]],
    report: FaultReport,
) -> None:
    """Count what was lost and doubled, and look for states the lifecycle forbids."""
    impossible = report.impossible
    by_number: dict[str, list[Received]] = defaultdict(list)
    for message in _accepted_overdue(standin):
        by_number[message.to or ""].append(message)
    for message in standin.accepted:
        if OVERDUE_MARK not in (message.body or ""):
            impossible.append(f"an SMS that is no overdue notice went out: {message.body!r}")
    for to in by_number.keys() - numbers.keys():
        impossible.append(f"an overdue SMS to {to}, which no case has")

    with database.engine.connect() as connection:
        cases = {
            row.number: row
            for row in connection.execute(
                text("SELECT id, number, status, due_at, overdue_since, watch_at FROM cases")
            )
        }
        notices = connection.execute(
            text(
                "SELECT n.id, c.number, n.kind, n.channel, n.status, n.attempts, n.provider_id,"
                " n.recipient, n.created_at FROM notices n JOIN cases c ON c.id = n.case_id"
            )
        ).all()
        events = Counter(
            number
            for (number,) in connection.execute(
                text(
                    "SELECT c.number FROM case_events e JOIN cases c ON c.id = e.case_id"
                    " WHERE e.kind = 'overdue'"
                )
            )
        )
        now = connection.scalar(text("SELECT now()"))

    lifecycle = {status.value for status in CaseStatus}
    open_statuses = {status.value for status in OPEN_STATUSES}
    sms_rows: dict[str, list[Any]] = defaultdict(list)
    clerk_rows: Counter[str] = Counter()
    for notice in notices:
        if notice.status not in NOTICE_STATUSES:
            impossible.append(f"notice {notice.id}: status {notice.status!r} is no notice status")
        if notice.status in (PENDING, SENDING):
            impossible.append(f"notice {notice.id} ({notice.kind}) left in {notice.status!r}")
        if notice.attempts > MAX_ATTEMPTS:
            impossible.append(f"notice {notice.id} tried {notice.attempts} times")
        if notice.kind == "overdue" and notice.channel == "sms":
            sms_rows[notice.number].append(notice)
        elif notice.kind == "overdue_clerk":
            clerk_rows[notice.number] += 1
    report.overdue_written = sum(len(rows) for rows in sms_rows.values())

    sids = {(r.to, r.sid) for r in standin.accepted}
    for to, number in numbers.items():
        case = cases[number]
        reached = by_number.get(to, [])
        rows = sms_rows.get(number, [])
        if case.status not in lifecycle:
            impossible.append(f"case {number}: status {case.status!r} is outside the lifecycle")
        elif case.status not in open_statuses:
            impossible.append(f"case {number} is {case.status!r}: nobody closed it")
        if rows and case.overdue_since is None:
            impossible.append(f"case {number} has an overdue notice but is not marked overdue")
        if case.overdue_since is not None and case.overdue_since != case.due_at:
            impossible.append(
                f"case {number}: overdue since {case.overdue_since}, due {case.due_at}"
            )
        if case.watch_at is not None and case.watch_at <= now:
            impossible.append(f"case {number}: its watch at {case.watch_at} was never handled")
        if events[number] != 1:
            impossible.append(f"case {number} has {events[number]} overdue events")
        if len(rows) != 1 or clerk_rows[number] != 1:
            impossible.append(
                f"case {number}: {len(rows)} overdue SMS rows, {clerk_rows[number]} clerk notices"
            )
        for row in rows:
            report.attempts[row.attempts] += 1
            report.outcomes[row.status] = report.outcomes.get(row.status, 0) + 1
            if row.status == SENT and (to, row.provider_id) not in sids:
                impossible.append(
                    f"case {number}: recorded {row.provider_id}, which the stand-in never gave "
                    "that number"
                )
        for message in reached:
            if number not in (message.body or ""):
                impossible.append(f"the SMS to case {number}'s applicant names another case")
        if not reached:
            report.lost.append(number)
            continue
        report.overdue_sent += 1
        first = min(reached, key=lambda r: r.at)
        if case.due_at is not None:
            report.due_to_accepted.append((first.at - case.due_at).total_seconds())
        if len(reached) > 1:
            report.duplicates.append(_explain(number, to, reached, standin, kills))


def _explain(
    number: str,
    to: str,
    reached: list[Received],
    standin: TwilioStandin,
    kills: list[tuple[datetime, str]],
) -> Duplicate:
    """The story of one duplicate, from the stand-in's records and the kills."""
    first, second = sorted(reached, key=lambda r: r.at)[:2]
    lookups = [at for lookup_to, at in standin.lookups if lookup_to == to]
    between = [at for at in lookups if first.at <= at <= second.at]
    # A request on the wire when its worker died reaches the stand-in a moment before the kill
    # is logged, or (queued in the socket) a moment after.
    near = timedelta(seconds=2)
    killed = [name for at, name in kills if first.at - near <= at <= first.at + near]
    if first.late_answer:
        cause = "the stand-in took the first and answered after the client's timeout"
    elif killed:
        cause = f"a worker ({', '.join(killed)}) was SIGKILLed as the first went out"
    else:
        cause = "the first was answered in time"
    story = (
        f"case {number}: accepted {len(reached)}x, first at {first.at:%H:%M:%S.%f} "
        f"({cause}), again at {second.at:%H:%M:%S.%f}; lookups of that number in between: "
        f"{len(between)} (all: {', '.join(f'{at:%H:%M:%S.%f}' for at in lookups) or 'none'})"
    )
    return Duplicate(number, len(reached), story, explained=bool(first.late_answer or killed))


def latency_text(report: FaultReport) -> str:
    """Due instant to the stand-in's first acceptance: p50, p99, max."""
    if not report.due_to_accepted:
        return "n/a"
    return (
        f"p50 {statistics.median(report.due_to_accepted):.1f} s, p99 "
        f"{report.percentile(0.99):.1f} s, max {report.percentile(1.0):.1f} s"
    )
