"""Where the database time goes: statements counted and timed per kind.

From the engine's events, and around tracker.db.DriverQuery, which runs on psycopg itself.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

from tracker.db import DriverQuery

_SPACE = re.compile(r"\s+")
_NAME = re.compile(r"^(INSERT INTO \S+|UPDATE \S+|DELETE FROM \S+|SELECT .*? FROM \S+|\S+ \S+)")


def statement_kind(statement: str) -> str:
    """``SELECT ... FROM cases`` / ``INSERT INTO case_events``: enough to tell statements apart."""
    text = _SPACE.sub(" ", statement.strip())
    match = _NAME.match(text)
    kind = match.group(1) if match else text
    if kind.startswith("SELECT "):
        kind = "SELECT … FROM " + kind.rsplit(" FROM ", 1)[-1]
    return kind[:80]


@dataclass
class StatementTimes:
    """Count and seconds per statement kind, in first-seen order."""

    count: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def total_count(self) -> int:
        """Statements executed (an executemany counts once per batch the driver sends)."""
        return sum(self.count.values())

    @property
    def total_seconds(self) -> float:
        """Seconds spent waiting on the driver, client side."""
        return sum(self.seconds.values())

    def lines(self) -> list[str]:
        """Markdown rows ``| kind | count | seconds |``, slowest first."""
        return [
            f"| `{kind}` | {self.count[kind]:,} | {self.seconds[kind]:.3f} |"
            for kind in sorted(self.seconds, key=self.seconds.__getitem__, reverse=True)
        ]


@contextmanager
def timed_statements(engine: Engine) -> Iterator[StatementTimes]:
    """Collect StatementTimes for everything ``engine`` executes inside the block."""
    times = StatementTimes()
    started: list[float] = []

    def before(*_args: Any) -> None:
        started.append(time.perf_counter())

    def after(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        kind = statement_kind(statement)
        times.count[kind] += 1
        times.seconds[kind] += time.perf_counter() - started.pop()

    # DriverQuery runs its statements on psycopg itself, unseen by the engine's events.
    driver_rows = DriverQuery.rows

    def timed_rows(query: DriverQuery, connection: Any, parameters: Any) -> Any:
        if connection.engine is not engine or connection.dialect.name != "postgresql":
            return driver_rows(query, connection, parameters)  # SQLite: the events see it
        begun = time.perf_counter()
        try:
            return driver_rows(query, connection, parameters)
        finally:
            kind = statement_kind(str(query.statement))
            times.count[kind] += 1
            times.seconds[kind] += time.perf_counter() - begun

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    DriverQuery.rows = timed_rows  # type: ignore[method-assign]
    try:
        yield times
    finally:
        DriverQuery.rows = driver_rows  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
