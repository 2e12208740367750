"""The Twilio channel, through the official SDK over HTTP to the local stand-in."""

from __future__ import annotations

import socket
import time

import pytest
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient

from notifications.channels.base import (
    PermanentSendError,
    SendResult,
    SmsChannel,
    TransientSendError,
)
from notifications.channels.twilio_sms import (
    TwilioSms,
    _http_client,
    _RoutedClient,
    classify_twilio_error,
)
from notifications.render import render
from tests.notifications.conftest import CLIENT_TIMEOUT, STANDIN_SLEEP
from tests.notifications.test_sms_budget import worst_case
from tests.support.twilio_standin import Scripted, TwilioStandin

TO = "+886912345678"
FROM = "+15005550006"
SERVICE_SID = "MG" + "a" * 32
CALLBACK = "https://casetrack.kcg.gov.tw/webhooks/twilio/status"


def channel(
    standin: TwilioStandin,
    *,
    account_sid: str | None = None,
    auth_token: str | None = None,
    from_number: str | None = FROM,
    messaging_service_sid: str | None = None,
    status_callback: str | None = CALLBACK,
) -> TwilioSms:
    """A TwilioSms pointed at the stand-in (TWILIO_API_BASE)."""
    return TwilioSms(
        account_sid or standin.account_sid,
        auth_token or standin.auth_token,
        from_number=from_number,
        messaging_service_sid=messaging_service_sid,
        status_callback=status_callback,
        api_base=standin.base_url,
        timeout=CLIENT_TIMEOUT,
    )


def test_a_message_is_accepted_with_its_provider_id(twilio_standin: TwilioStandin) -> None:
    sms = channel(twilio_standin)
    assert isinstance(sms, SmsChannel)
    result = sms.send_sms(TO, "收件確認：案號20260413-0001", reference="notice-1")
    assert isinstance(result, SendResult)
    assert result.provider_id.startswith("SM") and len(result.provider_id) == 34
    assert result.status == "queued"
    [received] = twilio_standin.accepted
    assert (received.to, received.body, received.from_) == (TO, "收件確認：案號20260413-0001", FROM)
    assert received.sid == result.provider_id
    assert received.status_callback == CALLBACK
    assert received.messaging_service_sid is None


def test_a_messaging_service_sends_without_a_from(twilio_standin: TwilioStandin) -> None:
    sms = channel(twilio_standin, from_number=None, messaging_service_sid=SERVICE_SID)
    result = sms.send_sms(TO, "hello", reference="notice-2")
    # Twilio answers "accepted" while the service still has to choose a sender.
    assert result.status == "accepted"
    [received] = twilio_standin.accepted
    assert received.messaging_service_sid == SERVICE_SID and received.from_ is None


def test_from_and_messaging_service_are_both_passed(twilio_standin: TwilioStandin) -> None:
    channel(twilio_standin, messaging_service_sid=SERVICE_SID).send_sms(TO, "x", reference="n")
    [received] = twilio_standin.accepted
    assert (received.from_, received.messaging_service_sid) == (FROM, SERVICE_SID)


def test_without_a_callback_none_is_sent(twilio_standin: TwilioStandin) -> None:
    channel(twilio_standin, status_callback=None).send_sms(TO, "x", reference="n")
    assert twilio_standin.accepted[0].status_callback is None


def test_a_sender_is_required() -> None:
    with pytest.raises(ValueError, match="from_number or messaging_service_sid"):
        TwilioSms("AC" + "0" * 32, "token")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(twilio_standin: TwilioStandin, status: int) -> None:
    twilio_standin.script(Scripted(status))
    with pytest.raises(TransientSendError, match=f"HTTP {status}"):
        channel(twilio_standin).send_sms(TO, "x", reference="n")


def test_too_many_requests_is_transient(twilio_standin: TwilioStandin) -> None:
    twilio_standin.script(Scripted(429))
    with pytest.raises(TransientSendError, match="HTTP 429"):
        channel(twilio_standin).send_sms(TO, "x", reference="n")


def test_after_scripted_failures_the_next_message_goes(twilio_standin: TwilioStandin) -> None:
    twilio_standin.script(Scripted(500), Scripted(500), Scripted(429))
    sms = channel(twilio_standin)
    outcomes = []
    for _ in range(4):
        try:
            sms.send_sms(TO, "x", reference="n")
            outcomes.append("sent")
        except TransientSendError:
            outcomes.append("retry")
    assert outcomes == ["retry", "retry", "retry", "sent"]
    assert [r.status for r in twilio_standin.received] == [500, 500, 429, 201]


@pytest.mark.parametrize(
    ("code", "words"),
    [(21211, "invalid 'To'"), (21610, "unsubscribed"), (21614, "not a mobile")],
)
def test_undeliverable_numbers_are_permanent_with_the_code(
    twilio_standin: TwilioStandin, code: int, words: str
) -> None:
    twilio_standin.reject_number(TO, code)
    with pytest.raises(PermanentSendError) as caught:
        channel(twilio_standin).send_sms(TO, "x", reference="n")
    assert caught.value.code == code
    assert words in caught.value.reason
    # Twilio's message quotes the number: it must not reach logs or the database.
    assert "912345678" not in str(caught.value)


def test_another_number_still_goes_through(twilio_standin: TwilioStandin) -> None:
    twilio_standin.reject_number(TO, 21610)
    assert channel(twilio_standin).send_sms("+886987654321", "x", reference="n").provider_id


def test_other_client_errors_are_permanent(twilio_standin: TwilioStandin) -> None:
    twilio_standin.script(Scripted(400, 21617, "The concatenated message body is too long"))
    with pytest.raises(PermanentSendError) as caught:
        channel(twilio_standin).send_sms(TO, "x", reference="n")
    assert caught.value.code == 21617 and "too long" in caught.value.reason


def test_a_timeout_is_transient_and_does_not_wait_for_the_answer(
    twilio_standin: TwilioStandin,
) -> None:
    twilio_standin.script(Scripted.timeout())
    started = time.monotonic()
    with pytest.raises(TransientSendError, match="timed out"):
        channel(twilio_standin).send_sms(TO, "x", reference="n")
    assert time.monotonic() - started < STANDIN_SLEEP


def test_wrong_credentials_are_transient_configuration_problems(
    twilio_standin: TwilioStandin,
) -> None:
    # Not the message's fault: it waits for someone to fix TWILIO_AUTH_TOKEN.
    with pytest.raises(TransientSendError, match="credentials") as caught:
        channel(twilio_standin, auth_token="wrong").send_sms(TO, "x", reference="n")
    assert "HTTP 401" in caught.value.reason and "TWILIO_AUTH_TOKEN" in caught.value.reason
    assert twilio_standin.received == []


def test_a_wrong_account_sid_is_refused_too(twilio_standin: TwilioStandin) -> None:
    with pytest.raises(TransientSendError, match="credentials"):
        channel(twilio_standin, account_sid="AC" + "f" * 32).send_sms(TO, "x", reference="n")


def test_a_server_that_is_down_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more: connection refused.
    sms = TwilioSms("AC" + "0" * 32, "t", from_number=FROM, api_base=f"http://127.0.0.1:{port}")
    with pytest.raises(TransientSendError, match="cannot reach Twilio"):
        sms.send_sms(TO, "x", reference="n")


def test_random_failures_are_classified_and_reproducible(twilio_standin: TwilioStandin) -> None:
    def run() -> list[str]:
        twilio_standin.set_failure_rates(server_error=0.3, seed=7)
        sms = channel(twilio_standin)
        outcomes = []
        for _ in range(30):
            try:
                sms.send_sms(TO, "x", reference="n")
                outcomes.append("sent")
            except TransientSendError:
                outcomes.append("retry")
        return outcomes

    first = run()
    assert 0 < first.count("retry") < 30
    assert run() == first


def test_a_worst_case_notice_goes_out_in_two_segments(twilio_standin: TwilioStandin) -> None:
    for language in ("zh-TW", "en"):
        body = render("overdue", "sms", language, worst_case("審")).sms
        assert body is not None
        channel(twilio_standin).send_sms(TO, body, reference="n")
    assert [r.segments for r in twilio_standin.accepted] == [2, 2]


def test_the_routed_client_keeps_path_and_query() -> None:
    client = _RoutedClient(
        "AC1", "t", http_client=TwilioHttpClient(), api_base="https://proxy.example/twilio/"
    )
    assert (
        client.get_hostname("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?a=1")
        == "https://proxy.example/twilio/2010-04-01/Accounts/AC1/Messages.json?a=1"
    )
    with pytest.raises(ValueError, match="api_base"):
        TwilioSms("AC1", "t", from_number=FROM, api_base="ftp://x")


def test_problem_details_errors_are_classified_like_the_others() -> None:
    # Newer Twilio APIs answer RFC 9457 problem details, which the SDK raises differently.
    problem = TwilioServiceException(
        "about:blank", "Invalid number", 400, 21211, "bad +886912345678"
    )
    error = classify_twilio_error(problem)
    assert isinstance(error, PermanentSendError) and error.code == 21211
    assert "912345678" not in str(error)
    throttled = TwilioServiceException("about:blank", "Slow down", 429, 20429)
    assert isinstance(classify_twilio_error(throttled), TransientSendError)
    forbidden = TwilioRestException(403, "https://api.twilio.com/x", "Forbidden", 20003)
    assert isinstance(classify_twilio_error(forbidden), TransientSendError)


def test_proxy_and_ca_settings_are_read_from_the_environment_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.kcg.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/kcg-ca.pem")
    client = _http_client("https://api.twilio.com", 5)
    assert client.proxy["https"] == "http://proxy.kcg.example:3128"
    assert client.session is not None and client.session.verify == "/etc/ssl/kcg-ca.pem"
    # A stand-in on loopback is in NO_PROXY: reached directly.
    assert "http" not in _http_client("http://127.0.0.1:8080", 5).proxy
