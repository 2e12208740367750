"""The fault-injection run through 三竹 Mitake: its stand-in seen as the run reads Twilio's.

tests/workers/fault_run.py judges what a gateway accepted (``accepted``: ``to`` in E.164,
``body``, ``sid``, ``at``, ``late_answer``), what it was asked (``received``, with an HTTP-like
``status``: 201 taken, 500 refused, 504 timed out) and the lookups before a resend (``lookups``;
Mitake needs none: a resend carries the same ``clientid`` and is answered, not sent). This view
gives the Mitake stand-in that shape. A repeated ``clientid`` is not counted as accepted: it is
the gateway refusing a second copy, which is what the run is there to show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.support.mitake_standin import ACCEPTED, PASSWORD, USERNAME, MitakeReceived, MitakeStandin
from tests.support.twilio_standin import Received


def _as_received(r: MitakeReceived) -> Received:
    to = "+886" + r.dstaddr[1:] if r.dstaddr.startswith("09") else r.dstaddr
    if r.statuscode in ACCEPTED:
        status = 201
    elif r.http_status != 200:
        status = r.http_status
    else:
        status = 400
    return Received(
        to=to,
        body=r.smbody,
        from_=None,
        messaging_service_sid=None,
        status_callback=r.response_url,
        status=status,
        sid=r.msgid,
        at=r.at,
        late_answer=r.late_answer,
    )


class MitakeForFaults:
    """A Mitake stand-in with the interface the fault run reads."""

    name = "mitake"

    def __init__(self) -> None:
        # Delivery reports would go to a web process the run does not start: none are sent.
        self.standin = MitakeStandin(callback_retries=0)

    @property
    def base_url(self) -> str:
        return self.standin.base_url

    @property
    def timeout_seconds(self) -> float:
        return self.standin.timeout_seconds

    @timeout_seconds.setter
    def timeout_seconds(self, seconds: float) -> None:
        self.standin.timeout_seconds = seconds

    def env(self) -> dict[str, str]:
        """The children's settings for this gateway (instead of Twilio's)."""
        return {
            "SMS_PROVIDER": "mitake",
            "MITAKE_USERNAME": USERNAME,
            "MITAKE_PASSWORD": PASSWORD,
            "MITAKE_API_BASE": self.standin.base_url,
        }

    def start(self) -> MitakeForFaults:
        self.standin.start()
        return self

    def stop(self) -> None:
        self.standin.stop()

    def set_failure_rates(self, **rates: Any) -> None:
        self.standin.set_failure_rates(**rates)

    @property
    def received(self) -> list[Received]:
        """Every request but the repeats of a clientid (answered, not sent)."""
        return [_as_received(r) for r in self.standin.received if not r.duplicate]

    @property
    def accepted(self) -> list[Received]:
        return [_as_received(r) for r in self.standin.accepted]

    @property
    def repeats(self) -> int:
        """Sends Mitake refused as repeats of a clientid (the crash window, closed)."""
        return sum(r.duplicate for r in self.standin.received)

    @property
    def lookups(self) -> list[tuple[str | None, datetime]]:
        return []

    def snapshot(self) -> list[dict[str, Any]]:
        return self.standin.snapshot()
