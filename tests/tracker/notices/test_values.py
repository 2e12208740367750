"""What a notice says of its applicant: the name masked exactly as the status page masks it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import create_case
from tracker.db import Database
from tracker.models import Notice
from tracker.privacy import mask_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        # The mask is as long for a short Latin name as for a long one: it reveals no length.
        ("Chen Ta-wei", "C*** T***"),
        ("Al Li", "A*** L***"),
        ("王小明", "王○明"),
    ],
)
def test_a_notice_masks_the_name_as_the_status_page_does(
    catalogue_db: Database, name: str, masked: str
) -> None:
    with catalogue_db.transaction() as session:
        case = create_case(session, applicant_name=name)
        receipt = session.scalar(select(Notice).where(Notice.case_id == case.id))
    assert receipt is not None
    assert receipt.payload["masked_name"] == masked
    assert receipt.payload["masked_name"] == mask_name(name)
