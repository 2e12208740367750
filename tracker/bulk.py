"""Set-based writes: stage many rows in a temporary table, then change the real table at once.

Thousands of per-row UPDATEs cost a round trip each; one ``UPDATE ... FROM`` a staged table costs
one. On PostgreSQL the stage is filled with COPY, elsewhere with one many-row INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, BigInteger, ColumnElement, Table, any_, bindparam, insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection


@contextmanager
def staged(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> Iterator[Table]:
    """``table`` (a TEMPORARY one) created and filled with ``rows`` for the block, then dropped."""
    table.drop(connection, checkfirst=True)
    table.create(connection)
    try:
        append_rows(connection, table, [column.name for column in table.columns], rows)
        yield table
    finally:
        table.drop(connection)


def append_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Add ``rows`` (with exactly ``columns``) to ``table``: COPY on PostgreSQL, else INSERT.

    Only for rows that cannot conflict (a timeline line is always new): COPY has no ON CONFLICT.
    """
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    _copy(connection, table, [table.c[name] for name in columns], rows)


def _copy(
    connection: Connection, table: Table, columns: list[Any], rows: Sequence[dict[str, Any]]
) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    as_json = [isinstance(column.type, JSON) for column in columns]
    names = ", ".join(column.name for column in columns)
    # Rows often share one value object (a notice's payload for each of its channels): encode
    # each object once. Keyed by id(), which is stable while ``rows`` holds the objects.
    encoded: dict[int, str] = {}

    def json_text(value: Any) -> str:
        text = encoded.get(id(value))
        if text is None:
            text = encoded[id(value)] = json.dumps(value, ensure_ascii=False)
        return text

    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    json_text(row[c.name]) if j else row[c.name]
                    for c, j in zip(columns, as_json, strict=True)
                ]
            )


def among(column: ColumnElement[Any], ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """``column`` is one of ``ids``: on PostgreSQL ``= ANY(array)``, one parameter however many
    ids (an ``IN`` list of thousands costs more to send and parse than to run); elsewhere ``IN``.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))
    return column.in_(list(ids))
