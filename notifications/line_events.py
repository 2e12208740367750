"""LINE webhook events, checked (``X-Line-Signature``) and read with the official SDK.

LINE signs each webhook request: the signature is the Base64 of the HMAC-SHA256 of the body
under the channel secret. ``read_events`` refuses a request without a valid one and returns what
the product acts on as plain values, so that the web layer never handles the SDK's models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhooks import (
    FollowEvent,
    MessageEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

__all__ = ["ChatEvent", "InvalidSignature", "read_events"]


class InvalidSignature(Exception):
    """The request was not signed with our channel secret."""


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """One event from a user's chat with the account: ``follow``, ``unfollow`` or ``text``."""

    kind: str
    user_id: str
    event_id: str
    at: datetime
    text: str = ""


def read_events(channel_secret: str, body: str, signature: str | None) -> list[ChatEvent]:
    """The events of a signed webhook body; InvalidSignature when the signature is wrong."""
    if not signature:
        raise InvalidSignature("no X-Line-Signature")
    try:
        events = WebhookParser(channel_secret).parse(body, signature)
    except InvalidSignatureError as exc:
        raise InvalidSignature("X-Line-Signature does not match") from exc
    found: list[ChatEvent] = []
    for event in events:
        # Groups and rooms are not applicants: only one-to-one chats bind cases.
        if not isinstance(event.source, UserSource) or not event.source.user_id:
            continue
        at = datetime.fromtimestamp(event.timestamp / 1000, tz=UTC)
        common = (event.source.user_id, event.webhook_event_id, at)
        if isinstance(event, FollowEvent):
            found.append(ChatEvent("follow", *common))
        elif isinstance(event, UnfollowEvent):
            found.append(ChatEvent("unfollow", *common))
        elif isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
            found.append(ChatEvent("text", *common, text=event.message.text))
    return found
