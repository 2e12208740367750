"""The waiting-room board (電子看板): which case numbers are ready and which are in progress.

A completed case is "ready for pickup" (可領件) where its SOP says something is collected
(``pickup``), and plainly "completed" (已辦結) where nothing is, such as relief paid by bank
transfer: the board never sends somebody to a counter with nothing for them.

Numbers are shown without their year (``0413-0042``), enough to tell apart the days' running
numbers; nothing else about a case is shown. The page reloads itself every BOARD_REFRESH_SECONDS
(web/static/refresh.js) and shows when it was last updated.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, render_template
from flask.blueprints import BlueprintSetupState
from sqlalchemy import select

from tracker.clock import utc_now
from tracker.lifecycle import CaseStatus
from tracker.models import Agency, Case, Department, Service, ServiceVersion
from tracker.privacy import mask_case_number
from web.core.database import current_database

board = Blueprint("board", __name__, url_prefix="/board")


@board.record_once
def _defaults(state: BlueprintSetupState) -> None:
    config = state.app.config
    config.setdefault("BOARD_REFRESH_SECONDS", 60)
    config.setdefault("BOARD_READY_DAYS", 14)
    config.setdefault("BOARD_MAX_NUMBERS", 40)


@board.get("/<agency>/<department>")
def show(agency: str, department: str) -> str:
    """Ready-for-pickup and in-progress case numbers of one department, in large type."""
    config = current_app.config
    now = utc_now()
    most = int(config["BOARD_MAX_NUMBERS"])
    database = current_database()
    with database.transaction() as db:
        section = db.scalar(
            select(Department)
            .join(Department.agency)
            .where(Agency.code == agency, Department.code == department)
        )
        if section is None:
            abort(404)
        done = db.execute(
            select(Case.number, ServiceVersion.pickup)
            .join(ServiceVersion, ServiceVersion.id == Case.service_version_id)
            .where(
                Case.department_id == section.id,
                Case.status == CaseStatus.COMPLETED,
                Case.closed_at >= now - timedelta(days=int(config["BOARD_READY_DAYS"])),
            )
            .order_by(Case.closed_at.desc())
            .limit(most)
        ).all()
        working = db.scalars(
            select(Case.number)
            .where(
                Case.department_id == section.id,
                Case.status.in_([CaseStatus.RECEIVED, CaseStatus.IN_PROGRESS]),
            )
            .order_by(Case.received_at)
            .limit(most)
        ).all()
        # Which columns the section needs: those of its services' SOPs, and any number shown.
        kinds = set(
            db.scalars(
                select(ServiceVersion.pickup)
                .join(Service, Service.current_version_id == ServiceVersion.id)
                .where(Service.department_id == section.id, Service.active.is_(True))
            )
        ) | {pickup for _, pickup in done}
    return render_template(
        "public/board.html",
        section=section,
        ready=[mask_case_number(number) for number, pickup in done if pickup],
        completed=[mask_case_number(number) for number, pickup in done if not pickup],
        show_ready=True in kinds or not kinds,
        show_completed=False in kinds,
        working=[mask_case_number(number) for number in working],
        refresh=int(config["BOARD_REFRESH_SECONDS"]),
        now=now,
    )
