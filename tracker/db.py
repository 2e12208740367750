"""Engine and sessions: one place that knows how to talk to PostgreSQL or SQLite."""

from __future__ import annotations

import time
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, Select, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection


def make_engine(url: str, *, ping_after_idle: float | None = None, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs to be safe under concurrent use.

    A pooled PostgreSQL connection is checked before use (a server restart or an idle timeout
    may have closed it): by default at every checkout (``pool_pre_ping``); with
    ``ping_after_idle`` only when it sat in the pool at least that many seconds. A busy web
    worker then reuses its connection without an extra round trip per request, and one that
    waited, when a restart is likeliest to have happened unseen, is still checked.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN until the first write, which lets two
        # writers read the same row and both update it. Taking the write lock at BEGIN makes a
        # SQLite transaction behave like a PostgreSQL row lock for our purposes.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    if ping_after_idle is None:
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    engine = create_engine(url, **kwargs)
    _ping_after_idle(engine, ping_after_idle)
    return engine


def _ping_after_idle(engine: Engine, seconds: float) -> None:
    """Ping a connection at checkout when it was idle ``seconds`` or more (see make_engine)."""

    def checkin(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    def checkout(dbapi: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < seconds:
            return  # new, or in use a moment ago
        try:
            cursor = dbapi.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool then discards this connection and checks out a new one.
            raise exc.DisconnectionError from error

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see above) instead of the driver's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """An engine with its session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._engine_kwargs = engine_kwargs
        self._reader: Engine | None = None

    @property
    def is_postgres(self) -> bool:
        """Whether the backend is PostgreSQL (row locks, SKIP LOCKED, COPY)."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together, or not at all."""
        with self.sessions() as session, session.begin():
            yield session

    @property
    def reader(self) -> Engine:
        """The engine behind ``reading()``: on PostgreSQL a pool of its own, in autocommit.

        Its connections are opened in autocommit once (switching a pooled connection in and out
        of autocommit at every checkout costs more than the query). SQLite keeps the main
        engine and its BEGIN IMMEDIATE (see make_engine).
        """
        if self._reader is None:
            self._reader = (
                self.engine
                if self.engine.dialect.name == "sqlite"
                else make_engine(
                    self.url,
                    **{
                        **self._engine_kwargs,
                        "isolation_level": "AUTOCOMMIT",
                        # Nothing to roll back in autocommit: no reset at check-in.
                        "pool_reset_on_return": None,
                    },
                )
            )
        return self._reader

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads only: on PostgreSQL without BEGIN and COMMIT round trips.

        Each statement sees what was committed when it started, as in a READ COMMITTED
        transaction (PostgreSQL's default, which takes a new snapshot per statement too). Write
        nothing on it: nothing would be rolled back together.
        """
        with self.reader.connect() as connection:
            yield connection

    def dispose(self) -> None:
        """Close every pooled connection."""
        if self._reader is not None and self._reader is not self.engine:
            self._reader.dispose()
        self.engine.dispose()


class DriverQuery:
    """A Core SELECT that PostgreSQL runs through psycopg itself, for the hottest page's reads.

    SQLAlchemy's execution of a cached statement costs more CPU than psycopg's own work (an
    execution context, the cursor's description read into result metadata, row objects). Here the
    statement is compiled once for the connection's dialect and psycopg executes it (preparing it
    server-side after a few runs, as it does under SQLAlchemy); rows have attribute access as
    SQLAlchemy's do. Every column must be one that psycopg returns as the Python value SQLAlchemy
    would (numbers, text, dates, aware instants, JSON); an Enum column comes back as its stored
    value. SQLite goes through SQLAlchemy, whose types it needs (dates are text)."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: tuple[str, dict[str, Any]] | None = None
        # The statement's columns never change: one row class for good (psycopg's
        # namedtuple_row reads the result's description into one at every execution).
        self._row_class: Callable[[Sequence[Any]], Any] | None = None

    def _row_maker(self, cursor: Any) -> Callable[[Sequence[Any]], Any]:
        if self._row_class is None:
            names = [column.name for column in cursor.description]
            self._row_class = namedtuple("Row", names)._make  # type: ignore[misc]
        return self._row_class

    def rows(self, connection: Connection, parameters: Mapping[str, Any]) -> Sequence[Any]:
        """Every row of the statement with ``parameters`` on ``connection``."""
        if connection.dialect.name != "postgresql":
            return connection.execute(self.statement, parameters).all()
        if self._compiled is None:
            compiled = self.statement.compile(dialect=connection.dialect)
            # The defaults carry the values Core bound itself, such as a LIMIT's.
            self._compiled = (str(compiled), dict(compiled.params))
        sql, defaults = self._compiled
        driver = connection.connection.driver_connection
        try:
            with driver.cursor(row_factory=self._row_maker) as cursor:  # type: ignore[union-attr]
                return cursor.execute(sql, {**defaults, **parameters}).fetchall()  # type: ignore[arg-type]
        except psycopg.Error:
            # What SQLAlchemy does on a lost connection: the pool must not hand it out again.
            if driver is not None and (driver.closed or driver.broken):
                connection.invalidate()
            raise
