"""The 三竹 Mitake channel, over HTTP to the stand-in that answers as the vendor documents."""

from __future__ import annotations

import pytest

from notifications.channels.base import (
    PermanentSendError,
    SendResult,
    SmsChannel,
    TransientSendError,
)
from notifications.channels.mitake_sms import (
    MitakeSms,
    classify,
    client_id,
    decode,
    mitake_number,
    parse_answer,
)
from tests.notifications.conftest import CLIENT_TIMEOUT
from tests.support.http_standin import Fault
from tests.support.mitake_standin import PASSWORD, USERNAME, MitakeStandin

TO = "+886912345678"
KEY = "42:overdue:2026-04-20T16:00:00+00:00:sms"
CALLBACK = "https://casetrack.kcg.gov.tw/webhooks/mitake/secret"


def channel(standin: MitakeStandin, *, password: str = PASSWORD) -> MitakeSms:
    """A MitakeSms pointed at the stand-in (MITAKE_API_BASE)."""
    return MitakeSms(
        USERNAME,
        password,
        api_base=standin.base_url,
        callback_url=CALLBACK,
        timeout=CLIENT_TIMEOUT,
    )


def test_a_message_is_accepted_with_its_msgid_and_the_credit_left(
    mitake_standin: MitakeStandin,
) -> None:
    sms = channel(mitake_standin)
    assert isinstance(sms, SmsChannel)
    result = sms.send_sms(TO, "【三民區公所】案號20260413-0001逾期", reference="7", dedupe_key=KEY)
    assert isinstance(result, SendResult)
    (received,) = mitake_standin.accepted
    assert result.provider_id == received.msgid  # without SmSend's "#"
    assert result.credit == mitake_standin.credit
    assert sms.credit == mitake_standin.credit


def test_the_request_is_utf8_with_credentials_in_the_body_only(
    mitake_standin: MitakeStandin,
) -> None:
    channel(mitake_standin).send_sms(
        TO, "高雄市三民區公所：補正通知", reference="7", dedupe_key=KEY
    )
    (received,) = mitake_standin.received
    assert received.charset == "UTF8"
    assert received.credentials_in_url is False
    assert received.smbody == "高雄市三民區公所：補正通知"
    assert received.dstaddr == "0912345678"
    assert received.response_url == CALLBACK


def test_the_clientid_is_the_notices_dedupe_key_made_a_uuid(
    mitake_standin: MitakeStandin,
) -> None:
    channel(mitake_standin).send_sms(TO, "text", reference="7", dedupe_key=KEY)
    (received,) = mitake_standin.received
    assert received.clientid == client_id(KEY)
    assert len(received.clientid) == 36  # Mitake's limit
    assert client_id(KEY) != client_id(KEY.replace(":sms", ":email"))


def test_a_repeated_send_is_refused_by_the_gateway_and_reported_as_the_first(
    mitake_standin: MitakeStandin,
) -> None:
    sms = channel(mitake_standin)
    first = sms.send_sms(TO, "text", reference="7", dedupe_key=KEY)
    again = sms.send_sms(TO, "text", reference="7", dedupe_key=KEY)
    assert again.provider_id == first.provider_id
    assert again.status == "duplicate"
    assert len(mitake_standin.accepted) == 1


def test_a_timeout_after_mitake_took_it_is_retried_without_a_second_sms(
    mitake_standin: MitakeStandin,
) -> None:
    sms = channel(mitake_standin)
    mitake_standin.script(Fault.accepted_too_late())
    with pytest.raises(TransientSendError) as timed_out:
        sms.send_sms(TO, "text", reference="7", dedupe_key=KEY)
    assert timed_out.value.maybe_sent is True
    result = sms.send_sms(TO, "text", reference="7", dedupe_key=KEY)
    assert result.status == "duplicate"
    assert len(mitake_standin.accepted) == 1


def test_line_breaks_travel_as_character_6(mitake_standin: MitakeStandin) -> None:
    channel(mitake_standin).send_sms(TO, "第一行\n第二行", reference="7", dedupe_key=KEY)
    # The stand-in turns character 6 back into a line break, as the handset shows it.
    assert mitake_standin.received[0].smbody == "第一行\n第二行"


def test_a_wrong_password_waits_for_the_fix(mitake_standin: MitakeStandin) -> None:
    with pytest.raises(TransientSendError) as refused:
        channel(mitake_standin, password="wrong").send_sms(TO, "x", reference="7", dedupe_key=KEY)
    assert "statuscode=e" in refused.value.reason
    assert "MITAKE_PASSWORD" in refused.value.reason


def test_an_invalid_number_is_permanent(mitake_standin: MitakeStandin) -> None:
    mitake_standin.reject_number("0912345678", "v")
    with pytest.raises(PermanentSendError) as refused:
        channel(mitake_standin).send_sms(TO, "x", reference="7", dedupe_key=KEY)
    assert refused.value.code == "mitake-v"
    assert "0912345678" not in refused.value.reason


@pytest.mark.parametrize("code", ["r", "*", "500"])
def test_a_busy_gateway_or_a_server_error_is_transient(
    mitake_standin: MitakeStandin, code: str
) -> None:
    mitake_standin.script(Fault("error", code))
    with pytest.raises(TransientSendError):
        channel(mitake_standin).send_sms(TO, "x", reference="7", dedupe_key=KEY)


def test_an_account_without_credit_waits_for_a_top_up() -> None:
    with MitakeStandin(credit=0) as standin, pytest.raises(TransientSendError) as refused:
        channel(standin).send_sms(TO, "x", reference="7", dedupe_key=KEY)
    assert "statuscode=s" in refused.value.reason


def test_a_gateway_that_is_down_is_transient_and_not_maybe_sent() -> None:
    with MitakeStandin() as standin:
        sms = channel(standin)
    with pytest.raises(TransientSendError) as down:
        sms.send_sms(TO, "x", reference="7", dedupe_key=KEY)
    assert down.value.maybe_sent is False


def test_answers_are_parsed_as_the_vendor_writes_them() -> None:
    answer = parse_answer("[1]\r\nmsgid=#0000000013\r\nstatuscode=1\r\nAccountPoint=126\r\n")
    assert (answer.msgid, answer.status, answer.account_point) == ("0000000013", "1", 126)
    assert answer.duplicate is False
    assert parse_answer("msgid=#1\nstatuscode=1\nDuplicate=Y").duplicate is True
    assert parse_answer("statuscode=1\nAccountPoint=").account_point is None
    assert parse_answer("statuscode=1\nAccountPoint=0").account_point == 0


def test_a_big5_error_answer_is_read() -> None:
    text = decode("statuscode=e\r\nError=帳號、密碼錯誤\r\n".encode("cp950"), None)
    answer = parse_answer(text)
    assert answer.fields["Error"] == "帳號、密碼錯誤"


@pytest.mark.parametrize(
    ("code", "kind"),
    [("1", None), ("0", None), ("4", None), ("v", PermanentSendError), ("6", PermanentSendError)]
    + [(c, TransientSendError) for c in ("e", "k", "p", "s", "a", "b", "r", "l", "*", "z")],
)
def test_every_status_code_is_classified(code: str, kind: type | None) -> None:
    error = classify(parse_answer(f"msgid=#9\nstatuscode={code}"))
    assert (type(error) if error is not None else None) is kind


def test_taiwan_numbers_take_mitakes_form() -> None:
    assert mitake_number("+886912345678") == "0912345678"
    assert mitake_number("+85291234567") == "+85291234567"
