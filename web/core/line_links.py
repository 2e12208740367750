"""The links that lead an applicant to the office's LINE official account, with a code in hand.

``LINE_ADD_FRIEND_URL`` is the account's add-friend address (``https://line.me/R/ti/p/@id``);
from its basic id (``@id``) comes a link that opens the chat with the binding code already
typed (LINE's ``oaMessage`` URL scheme), so the applicant has only to press send.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from config import Settings
from web.core.qr import qr_svg


@dataclass(frozen=True, slots=True)
class LineLinks:
    """Where to add the account, and a link (and its QR code) that sends the code."""

    add_friend: str | None
    send_code: str | None


def line_links(settings: Settings, code: str) -> LineLinks:
    """The links for ``code`` (the formatted one-time code); None where no address is set."""
    add_friend = settings.line_add_friend_url
    if not add_friend:
        return LineLinks(None, None)
    basic_id = urlsplit(add_friend).path.rstrip("/").rsplit("/", 1)[-1]
    if not basic_id.startswith("@"):
        return LineLinks(add_friend, None)
    return LineLinks(add_friend, f"https://line.me/R/oaMessage/{quote(basic_id)}/?{quote(code)}")


def send_code_qr(links: LineLinks, *, label: str) -> object | None:
    """A QR code of the link that sends the code (None without one)."""
    return qr_svg(links.send_code, label=label) if links.send_code else None
