"""The LINE channel, through the official SDK over HTTP to the stand-in of the Messaging API."""

from __future__ import annotations

import pytest

from notifications.channels.base import LineChannel, PermanentSendError, TransientSendError
from notifications.channels.line_push import LinePush, retry_key
from tests.notifications.conftest import CLIENT_TIMEOUT
from tests.support.http_standin import Fault
from tests.support.line_standin import ACCESS_TOKEN, LineStandin, new_user_id

KEY = "42:overdue:2026-04-20T16:00:00+00:00:line"
TEXT = "【三民區公所】案號20260413-0001逾期：案件審核中"


def channel(standin: LineStandin, token: str = ACCESS_TOKEN) -> LinePush:
    """A LinePush pointed at the stand-in (LINE_API_BASE)."""
    return LinePush(token, api_base=standin.base_url, timeout=CLIENT_TIMEOUT)


@pytest.fixture
def friend(line_standin: LineStandin) -> str:
    """A user who added the account as a friend."""
    user = new_user_id()
    line_standin.friends.add(user)
    return user


def test_a_push_is_accepted_with_its_message_id(line_standin: LineStandin, friend: str) -> None:
    line = channel(line_standin)
    assert isinstance(line, LineChannel)
    result = line.push_line(friend, TEXT, reference="7", dedupe_key=KEY)
    (push,) = line_standin.delivered
    assert result.provider_id == push.message_ids[0]
    assert push.texts == [TEXT]


def test_each_push_carries_the_notices_retry_key(line_standin: LineStandin, friend: str) -> None:
    channel(line_standin).push_line(friend, TEXT, reference="7", dedupe_key=KEY)
    assert line_standin.pushes[0].retry_key == retry_key(KEY)


def test_a_retry_after_a_lost_answer_is_refused_by_line_and_taken_as_the_first(
    line_standin: LineStandin, friend: str
) -> None:
    line = channel(line_standin)
    line_standin.script(Fault.accepted_too_late())
    with pytest.raises(TransientSendError) as timed_out:
        line.push_line(friend, TEXT, reference="7", dedupe_key=KEY)
    assert timed_out.value.maybe_sent is True
    result = line.push_line(friend, TEXT, reference="7", dedupe_key=KEY)
    assert [p.status for p in line_standin.pushes] == [200, 409]
    assert result.provider_id == line_standin.pushes[0].message_ids[0]
    assert len(line_standin.delivered) == 1


def test_a_user_id_line_does_not_know_is_permanent(line_standin: LineStandin) -> None:
    with pytest.raises(PermanentSendError) as refused:
        channel(line_standin).push_line("not-a-user", TEXT, reference="7", dedupe_key=KEY)
    assert refused.value.code == "line-400"


def test_a_wrong_token_waits_for_the_fix(line_standin: LineStandin, friend: str) -> None:
    with pytest.raises(TransientSendError) as refused:
        channel(line_standin, "wrong").push_line(friend, TEXT, reference="7", dedupe_key=KEY)
    assert "LINE_CHANNEL_ACCESS_TOKEN" in refused.value.reason


def test_the_monthly_limit_is_transient(line_standin: LineStandin, friend: str) -> None:
    line_standin.script(Fault("error", "429"))
    with pytest.raises(TransientSendError) as limited:
        channel(line_standin).push_line(friend, TEXT, reference="7", dedupe_key=KEY)
    assert limited.value.maybe_sent is False
    assert "monthly limit" in limited.value.reason


def test_a_server_error_is_transient_and_maybe_sent(line_standin: LineStandin, friend: str) -> None:
    line_standin.script(Fault("error", "500"))
    with pytest.raises(TransientSendError) as failed:
        channel(line_standin).push_line(friend, TEXT, reference="7", dedupe_key=KEY)
    assert failed.value.maybe_sent is True


def test_a_timeout_is_transient_and_maybe_sent(line_standin: LineStandin, friend: str) -> None:
    line_standin.script(Fault.timeout())
    with pytest.raises(TransientSendError) as timed_out:
        channel(line_standin).push_line(friend, TEXT, reference="7", dedupe_key=KEY)
    assert timed_out.value.maybe_sent is True


def test_line_that_is_down_is_transient_and_not_maybe_sent() -> None:
    with LineStandin() as standin:
        line = channel(standin)
    with pytest.raises(TransientSendError) as down:
        line.push_line(new_user_id(), TEXT, reference="7", dedupe_key=KEY)
    assert down.value.maybe_sent is False


def test_a_push_to_a_user_who_blocked_the_account_is_accepted_but_not_delivered(
    line_standin: LineStandin,
) -> None:
    # LINE documents this: the push is accepted (200); only the unfollow event tells us.
    channel(line_standin).push_line(new_user_id(), TEXT, reference="7", dedupe_key=KEY)
    assert [p.status for p in line_standin.pushes] == [200]
    assert line_standin.delivered == []
