"""What the IT staff watch: ``/metrics`` (Prometheus), ``/healthz`` and ``/readyz``.

``/metrics`` answers the loopback (a Prometheus beside the app) and a request with
``Authorization: Bearer $METRICS_TOKEN``, and nobody else (404: nothing to find out). "Loopback"
means the machine's own socket peer and, behind TRUSTED_PROXIES, the client they forward: a
forged ``X-Forwarded-For`` from outside is never loopback (web.core.clients).

Its figures: the counters and histograms the processes keep as they work (added up over every
process under ``PROMETHEUS_MULTIPROC_DIR``, see notifications.metrics), the HTTP request
durations by endpoint, and the gauges read from the database at each scrape
(tracker.operations.gauges). ``/healthz`` says the process answers; ``/readyz`` that the
database answers at the schema's head revision and Redis, when configured, answers too.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from typing import Any

import redis
from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text

from tracker.clock import utc_now
from tracker.db import Database
from tracker.migrate import head_revision
from tracker.operations.gauges import read_gauges
from web.core.clients import from_loopback
from web.core.database import current_database
from web.core.extensions import limiter

operations = Blueprint("operations", __name__)

HTTP_DURATION = Histogram(
    "tracker_http_request_duration_seconds",
    "Seconds to answer an HTTP request, by endpoint",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_HEAD = head_revision()


def init_operations(app: Flask) -> None:
    """Time every request by endpoint, and register the routes (no CSRF, no rate limit)."""
    app.before_request(_start_timer)
    app.teardown_request(_observe)
    limiter.exempt(operations)
    app.register_blueprint(operations)


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _observe(_error: BaseException | None) -> None:
    started = g.get("request_started")
    if started is not None:
        # The endpoint's name, never the path: one series per route, not per case number.
        endpoint = request.endpoint or "unmatched"
        HTTP_DURATION.labels(endpoint).observe(time.perf_counter() - started)


def _may_read_metrics() -> bool:
    settings = current_app.config["SETTINGS"]
    token = settings.metrics_token
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return from_loopback()


@operations.get("/metrics")
def metrics() -> Response:
    """The Prometheus text exposition of every process's counters and the database's gauges."""
    if not _may_read_metrics():
        abort(404)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_DatabaseGauges(current_database()))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _ThisProcess(Collector):
    """The default registry's metrics (one process: ``tracker demo``, the tests)."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


class _DatabaseGauges(Collector):
    """The gauges read from the database at scrape time."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utc_now()
        with self.database.transaction() as session:
            read = read_gauges(session, now)
        notices = GaugeMetricFamily(
            "tracker_notices", "Notices waiting, being sent, or left to a clerk",
            labels=["status", "channel"],
        )  # fmt: skip
        for (status, channel), count in sorted(read.notices.items()):
            notices.add_metric([status, channel], count)
        yield notices
        yield GaugeMetricFamily(
            "tracker_outbox_oldest_pending_age_seconds",
            "Seconds the oldest due pending notice has waited",
            value=read.oldest_pending_age,
        )
        yield GaugeMetricFamily(
            "tracker_sweep_lag_seconds",
            "Seconds the oldest due deadline watch has waited for the sweep",
            value=read.sweep_lag,
        )
        runs = GaugeMetricFamily(
            "tracker_last_run_timestamp_seconds", "When a periodic job last finished a run",
            labels=["job"],
        )  # fmt: skip
        for job, at in sorted(read.last_runs.items()):
            runs.add_metric([job], at.timestamp())
        yield runs
        credit = GaugeMetricFamily(
            "tracker_gateway_credit", "Credit a gateway reported left (Mitake's AccountPoint)",
            labels=["channel"],
        )  # fmt: skip
        for channel, remaining in sorted(read.credit.items()):
            credit.add_metric([channel], remaining)
        yield credit
        cases = GaugeMetricFamily(
            "tracker_open_cases", "Open cases (counted by the sweep)", labels=["status"]
        )
        for status, count in sorted(read.open_cases.items()):
            cases.add_metric([status], count)
        yield cases
        overdue = GaugeMetricFamily(
            "tracker_overdue_cases", "Open cases past their due instant", labels=["agency"]
        )
        for agency, count in sorted(read.overdue_cases.items()):
            overdue.add_metric([agency], count)
        yield overdue
        if read.cases_counted_at is not None:
            yield GaugeMetricFamily(
                "tracker_cases_counted_timestamp_seconds",
                "When the sweep last counted the open and overdue cases (once a minute)",
                value=read.cases_counted_at.timestamp(),
            )


@operations.get("/healthz")
def healthz() -> Response:
    """The process is alive and answers."""
    return Response("ok\n", content_type="text/plain; charset=utf-8")


@operations.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready for traffic: the database at the schema's head, and Redis when configured."""
    checks: dict[str, str] = {}
    try:
        with current_database().transaction() as session:
            revision = session.scalar(text("SELECT version_num FROM alembic_version"))
        checks["database"] = "ok" if revision == _HEAD else f"schema at {revision}, not {_HEAD}"
    except Exception as exc:  # any failure to answer is "not ready", never a 500
        checks["database"] = f"unreachable: {type(exc).__name__}"
    redis_url = current_app.config["SETTINGS"].redis_url
    if redis_url:
        try:
            client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
            client.ping()
            client.close()
            checks["redis"] = "ok"
        except redis.RedisError as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(ready=ready, **checks), 200 if ready else 503
