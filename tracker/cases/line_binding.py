"""Binding a case to the office's LINE official account, with the applicant's consent.

The way (DESIGN §4.6, "LINE once the applicant binds a case"):

1. The receipt and the status page show a one-time code (``binding_code``): 8 characters from
   an alphabet without look-alikes, about 40 bits, made on first ask. Only an open case gets one.
2. The applicant adds the account as a friend and sends the code in the chat. The bot answers
   with the case (masked name, service, due date) and asks to confirm (``line_confirm``): the
   binding is ``pending`` for that LINE user.
3. "確認" / "confirm": every binding pending for that user is ``bound``; the case's notices go by
   LINE push instead of SMS (``cases.applicant_line_id``, read by tracker.notices.outbox); the
   code is used up.
4. "取消" / "stop", an unfollow, a push LINE refuses (notifications.fallback), or the erasure of
   the case's personal data end it (``ended``), and the case's notices go by SMS again.

Every change is in the audit log (actor ``line``, the case number as target, never the LINE user
id). The bot's answers are outbox rows (``chat_answer_rows``), sent by the dispatcher: the web
process that receives the chat never talks to LINE itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.accounts.audit import record_audit
from tracker.bulk import among
from tracker.lifecycle import OPEN_STATUSES
from tracker.models import Case, LineBinding, Notice
from tracker.notices.outbox import chat_answer_rows, insert_notices
from tracker.notices.values import case_values

OFFERED, PENDING, BOUND, ENDED = "offered", "pending", "bound", "ended"
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read off paper
CODE_LENGTH = 8
CONFIRM_WORDS = frozenset({"確認", "确认", "confirm", "yes", "ok"})
STOP_WORDS = frozenset({"取消", "停止", "stop", "cancel", "unsubscribe"})
LINE_BOUND = "line_bound"
LINE_ENDED = "line_ended"
ACTOR = "line"


@dataclass(frozen=True, slots=True)
class LineOffer:
    """What a page shows about LINE for a case: its code, or that it is bound."""

    state: str
    code: str | None


def format_code(code: str) -> str:
    """``K7PQ3XW9`` → ``K7PQ-3XW9``: easier to read and to type."""
    return f"{code[:4]}-{code[4:]}"


def normalise_code(text: str) -> str | None:
    """A code as typed (``k7pq 3xw9``, ``K7PQ-3XW9``) in canonical form, or None if it is not."""
    letters = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(letters) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in letters):
        return None
    return letters


def line_offer(session: Session, case: Case, now: datetime) -> LineOffer | None:
    """The case's LINE state for its pages, making its code on first ask; None when closed."""
    if case.status not in OPEN_STATUSES:
        return None
    binding = session.scalar(select(LineBinding).where(LineBinding.case_id == case.id))
    if binding is None:
        binding = LineBinding(case_id=case.id, state=OFFERED, code=_new_code(), updated_at=now)
        try:
            with session.begin_nested():
                session.add(binding)
        except IntegrityError:
            # Another request (the same page, opened twice at once) made it first.
            binding = session.scalars(
                select(LineBinding).where(LineBinding.case_id == case.id)
            ).one()
    elif binding.state == ENDED:
        binding.state, binding.code, binding.line_user_id = OFFERED, _new_code(), None
        binding.updated_at = now
    return LineOffer(binding.state, binding.code if binding.state != BOUND else None)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def on_text(session: Session, line_user: str, text: str, *, event_id: str, now: datetime) -> str:
    """Act on a text the user sent the bot; returns what it was (``code``, ``confirm``...)."""
    word = text.strip().lower()
    if word in CONFIRM_WORDS:
        return _confirm(session, line_user, event_id=event_id, now=now)
    if word in STOP_WORDS:
        cases = end_bindings(session, line_user, reason="stopped", now=now)
        numbers = [case.number for case in cases]
        _answer(session, line_user, "line_unbound", event_id, now, {"case_numbers": numbers})
        return "stop"
    code = normalise_code(text)
    binding = (
        session.scalar(select(LineBinding).where(LineBinding.code == code).with_for_update())
        if code
        else None
    )
    case = session.get(Case, binding.case_id) if binding is not None else None
    if binding is None or case is None or case.status not in OPEN_STATUSES:
        _answer(session, line_user, "line_help", event_id, now, {})
        return "unknown"
    # The code's holder decides: a later sender of the same code takes the pending place.
    binding.state, binding.line_user_id, binding.updated_at = PENDING, line_user, now
    _answer(session, line_user, "line_confirm", event_id, now, case_values(case), case=case)
    return "code"


def _confirm(session: Session, line_user: str, *, event_id: str, now: datetime) -> str:
    pending = session.scalars(
        select(LineBinding)
        .where(LineBinding.line_user_id == line_user, LineBinding.state == PENDING)
        .with_for_update()
    ).all()
    if not pending:
        _answer(session, line_user, "line_help", event_id, now, {})
        return "nothing-pending"
    for binding in pending:
        case = session.get(Case, binding.case_id)
        assert case is not None
        binding.state, binding.code, binding.updated_at = BOUND, None, now
        case.applicant_line_id = line_user
        record_audit(session, LINE_BOUND, actor=ACTOR, at=now, target=case.number)
        _answer(session, line_user, "line_bound", event_id, now, case_values(case), case=case)
    return "confirm"


def end_bindings(
    session: Session,
    line_user: str,
    *,
    reason: str,
    now: datetime,
    case_ids: Iterable[int] | None = None,
) -> list[Case]:
    """End the user's pending and bound bindings (of ``case_ids`` only, if given); the cases
    that were bound, whose notices go by SMS again."""
    query = select(LineBinding).where(
        LineBinding.line_user_id == line_user, LineBinding.state.in_((PENDING, BOUND))
    )
    if case_ids is not None:
        query = query.where(LineBinding.case_id.in_(list(case_ids)))
    ended: list[Case] = []
    for binding in session.scalars(query.with_for_update()).all():
        case = session.get(Case, binding.case_id)
        assert case is not None
        if binding.state == BOUND:
            ended.append(case)
            record_audit(
                session, LINE_ENDED, actor=ACTOR, at=now, target=case.number,
                data={"reason": reason},
            )  # fmt: skip
        binding.state, binding.line_user_id, binding.updated_at = ENDED, None, now
        if case.applicant_line_id == line_user:
            case.applicant_line_id = None
    return ended


def erase_line_contact(session: Session, case_ids: Iterable[int], now: datetime) -> None:
    """Forget the LINE users of these cases, on their bindings and their LINE notices (the
    personal-data purge calls this)."""
    ids = list(case_ids)
    dialect = session.get_bind().dialect.name
    session.execute(
        update(Notice)
        .where(among(Notice.case_id, ids, dialect), Notice.channel == "line")
        .values(recipient=None)
    )
    session.execute(
        update(LineBinding)
        .where(among(LineBinding.case_id, ids, dialect))
        .values(state=ENDED, line_user_id=None, code=None, updated_at=now)
    )
    # Most cases were never bound: only the few that were get a new row version.
    session.execute(
        update(Case)
        .where(among(Case.id, ids, dialect), Case.applicant_line_id.is_not(None))
        .values(applicant_line_id=None)
    )


def _answer(
    session: Session,
    line_user: str,
    kind: str,
    event_id: str,
    now: datetime,
    values: dict[str, object],
    *,
    case: Case | None = None,
) -> None:
    rows = chat_answer_rows(
        line_user,
        kind,
        event_id=event_id,
        case_id=case.id if case is not None else None,
        language=case.language if case is not None else "zh-TW",
        values=values,
        now=now,
    )
    insert_notices(session, rows)
