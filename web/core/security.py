"""Security headers on every response, and session cookies that stay on this site.

The CSP allows no inline script or style at all: every script and style sheet is a file under
``/static``, so an injected ``<script>`` or ``style=`` does nothing.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # QR codes are inline SVG elements, not images; data: covers a browser's own favicons.
        "img-src 'self' data:",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"

_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Case numbers travel in some paths (/s/<number>): no page tells another site where it was.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def secure_cookies(app: Flask, public_base_url: str) -> None:
    """Session cookies: HttpOnly, SameSite=Lax, and Secure when the public address is https."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=public_base_url.startswith("https://"),
        SESSION_COOKIE_NAME="tracker_session",
    )


# Lower-cased once: a view may have set one of them itself, and then its own value stays.
_HEADER_ITEMS = tuple((name.lower(), name, value) for name, value in _HEADERS.items())


def add_security_headers(response: Response) -> Response:
    """Set the security headers; HSTS only over https (the proxy's scheme, through ProxyFix)."""
    headers = response.headers
    # One look at the headers already set, then appends (setdefault searches them every time).
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers, not a dict
    for lower, name, value in _HEADER_ITEMS:
        if lower not in present:
            headers.add(name, value)
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", HSTS)
    return response


def init_security(app: Flask, public_base_url: str) -> None:
    """Bind the cookie settings and the header hook to ``app``."""
    secure_cookies(app, public_base_url)
    app.after_request(add_security_headers)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def no_store(blueprint: Blueprint) -> None:
    """No browser cache or proxy keeps any response of ``blueprint``: its pages carry personal
    data or lookup codes, and a shared computer's next user must not find them in the history's
    cached copies (the back button included)."""
    blueprint.after_request(_no_store)
