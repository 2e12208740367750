"""Who is asking: the socket's peer, or behind TRUSTED_PROXIES the client they forward.

``request.remote_addr`` is the client everywhere (rate limits through Flask-Limiter's
``get_remote_address``, the audit log): ProxyFix (create_app) sets it from the trusted proxies'
``X-Forwarded-For`` entries only, and with TRUSTED_PROXIES=0 the header is not read at all.
"""

from __future__ import annotations

from flask import request

LOOPBACK = frozenset({"127.0.0.1", "::1"})


def from_loopback() -> bool:
    """Whether this machine itself asks: the socket's peer is loopback, and so is the client a
    trusted proxy forwards (a proxy on this machine does not make every client local)."""
    # ProxyFix keeps the socket's own peer here (documented by Werkzeug); absent without it.
    original = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
    peer = original or request.remote_addr
    return peer in LOOPBACK and request.remote_addr in LOOPBACK
