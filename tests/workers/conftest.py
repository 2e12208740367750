"""Fixtures for tests that run the real processes (DESIGN §5.3, §6).

A test here gets PostgreSQL (its per-process test database, emptied, with
``tests/data/watch-catalogue.yaml`` loaded), a PRIVATE ``redis-server`` on a free loopback port
(never the shared 6379: other test runs use it, and these tests stop and kill theirs), the Twilio
stand-in and an SMTP sink in the test process, the children's environment, and ``processes`` to
start the worker, beat, gunicorn and the ``tracker`` command (tests/support/processes.py, the
harness bench/ uses too). A test that crashes PostgreSQL takes ``private_postgres``, a cluster of
its own.

Every child is stopped when the test ends, also when it fails, and the logs of a failed test are
attached to its report. Nothing here skips: without PostgreSQL or ``redis-server`` these tests
fail.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.processes import Processes, child_env, free_port
from tests.support.servers import PrivatePostgres, RedisServer
from tests.support.smtp_sink import SmtpSink
from tests.support.twilio_standin import TwilioStandin
from tests.workers.fault_run import WATCH_CATALOGUE
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.db import Database


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker here, beside the only tests that use it (pyproject stays as it is)."""
    config.addinivalue_line(
        "markers",
        "processes: runs real worker/beat/web processes against PostgreSQL and a private Redis "
        "(slow; needs redis-server and PostgreSQL, fails without them)",
    )


@pytest.fixture
def watch_db(pg_database: Database) -> Database:
    """The per-process PostgreSQL test database, emptied, with the watch catalogue loaded."""
    with pg_database.transaction() as session:
        load_catalogue(session, read_catalogue(WATCH_CATALOGUE), now=datetime.now(UTC))
    return pg_database


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh private Redis for this test (never the shared instance on 6379); without
    ``redis-server`` the test fails (ProcessError), never skips."""
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of this test's own, which it may crash (never the shared one)."""
    cluster = PrivatePostgres().init().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def twilio_standin() -> Iterator[TwilioStandin]:
    """A Twilio Messages API stand-in on a free loopback port, in the test process."""
    standin = TwilioStandin()
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on loopback that accepts everything."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def web_port() -> int:
    """The port gunicorn listens on, if the test starts it (PUBLIC_BASE_URL points there)."""
    return free_port()


@pytest.fixture
def process_env(
    watch_db: Database,
    redis_server: RedisServer,
    twilio_standin: TwilioStandin,
    smtp_sink: SmtpSink,
    web_port: int,
    tmp_path: Path,
) -> dict[str, str]:
    """Every child's environment: the settings of DESIGN §5.4, aimed at this test's parts."""
    return child_env(
        database_url=watch_db.url,
        redis_url=redis_server.url,
        twilio_api_base=twilio_standin.base_url,
        smtp_url=smtp_sink.url(),
        web_port=web_port,
        instance=tmp_path / "instance",
    )


_PROCESSES = pytest.StashKey[Processes]()
_REDIS = pytest.StashKey[RedisServer]()


@pytest.fixture
def processes(
    request: pytest.FixtureRequest, process_env: dict[str, str], tmp_path: Path
) -> Iterator[Processes]:
    """Start children with ``processes.worker()``, ``.beat()``, ``.web(port)``, ``.tracker()``."""
    procs = Processes(process_env, tmp_path / "logs")
    request.node.stash[_PROCESSES] = procs
    request.node.stash[_REDIS] = request.getfixturevalue("redis_server")
    try:
        yield procs
    finally:
        procs.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the children's logs (and Redis's) to the report of a test that failed."""
    report = yield
    if not report.failed:
        return report
    procs = item.stash.get(_PROCESSES, None)
    if procs is not None:
        for title, text in procs.report():
            report.sections.append((title, text))
    server = item.stash.get(_REDIS, None)
    if server is not None:
        report.sections.append(("redis log", server.child.tail(40)))
    return report
