"""The plan of "open cases due before T", exactly as the application sends it.

The query is built with SQLAlchemy (``Case.status.in_(OPEN_STATUSES) & Case.due_at < t``); the
partial index qualifies only if the planner can prove the status list implies its predicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import sql
from sqlalchemy import func, select

from bench.common import explain_as_sent
from tracker.db import Database
from tracker.lifecycle import OPEN_STATUSES
from tracker.models import Case

INDEX = "ix_cases_open_due_at"
LIMIT = 1000


@dataclass(frozen=True)
class QueryPlan:
    """The SQL as sent, the plan, and counts that say how selective T was."""

    sql: str
    t: datetime
    plan: list[str]
    generic_plan: list[str]
    open_cases: int
    open_due_before_t: int

    @property
    def uses_index(self) -> bool:
        """Whether the plan scans the partial index (plain or index-only)."""
        return any(
            f"Index Scan using {INDEX}" in line or f"Index Only Scan using {INDEX}" in line
            for line in self.plan
        )


def open_due_before(t: datetime) -> Any:
    """The query the deadline sweep runs: the next open cases to fall due, earliest first."""
    return (
        select(Case.id)
        .where(Case.status.in_(OPEN_STATUSES), Case.due_at < t)
        .order_by(Case.due_at)
        .limit(LIMIT)
    )


def explain_open_due(db: Database, t: datetime) -> QueryPlan:
    """The query as the application sends it, its plan, its generic plan, and the counts."""

    def run() -> None:
        with db.engine.connect() as conn:
            conn.execute(open_due_before(t)).all()

    statement, plan = explain_as_sent(db.engine, run, lambda sql: "FROM cases" in sql)
    with db.engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            generic = _generic_plan(cursor, t)
        open_filter = Case.status.in_(OPEN_STATUSES)
        open_cases = conn.scalar(select(func.count()).where(open_filter)) or 0
        due = conn.scalar(select(func.count()).where(open_filter, Case.due_at < t)) or 0
        conn.rollback()
    return QueryPlan(statement, t, plan, generic, open_cases, due)


def _generic_plan(cursor: Any, t: datetime) -> list[str]:
    """The plan a prepared statement would get if PostgreSQL switched it to a generic plan.

    psycopg prepares a statement after five executions on a connection; PostgreSQL then may
    plan it once for any parameters. Such a plan cannot prove ``status IN ($1, $2, $3)`` implies
    the partial index's predicate. Shown so the dependence on custom plans is on record.
    """
    cursor.execute(
        "PREPARE bench_open_due (varchar, varchar, varchar, timestamptz, integer) AS"
        " SELECT id FROM cases WHERE status IN ($1, $2, $3) AND due_at < $4"
        " ORDER BY due_at LIMIT $5"
    )
    cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    # Literals, not bound parameters: EXECUTE's arguments are part of a utility statement.
    arguments = [*sorted(s.value for s in OPEN_STATUSES), t, LIMIT]
    cursor.execute(
        sql.SQL("EXPLAIN EXECUTE bench_open_due ({})").format(
            sql.SQL(", ").join(map(sql.Literal, arguments))
        )
    )
    plan = [row[0] for row in cursor.fetchall()]
    cursor.execute("DEALLOCATE bench_open_due")
    return plan
