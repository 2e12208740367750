"""Test factories: defaults resolved at call time, so a test states only what it cares about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tests.conftest import NOW
from tracker.cases.filing import Application, file_case
from tracker.models import Case


def create_case(
    session: Session,
    service_code: str = "five-wd",
    *,
    now: datetime | None = None,
    received_at: datetime | None = None,
    actor: str = "clerk:test",
    **fields: Any,
) -> Case:
    """File a case for ``service_code`` with a plausible applicant."""
    values: dict[str, Any] = {"applicant_name": "王小明", "phone": "0912-345-678"}
    values.update(fields)
    return file_case(
        session,
        Application(service_code=service_code, **values),
        actor=actor,
        now=now or NOW,
        received_at=received_at,
    )
