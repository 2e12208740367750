"""Flask extensions, created here once and bound to the app in ``create_app()``.

Blueprints import them from here (``from web.core.extensions import limiter``) so that no module
needs the app itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect, generate_csrf

from config import Settings
from web.core.i18n import DEFAULT_LOCALE, TRANSLATIONS, CatalogueBabel, babel_locale

babel = CatalogueBabel()
csrf = CSRFProtect()
# The client address: the peer, or behind TRUSTED_PROXIES the hop they forward (web.core.clients).
limiter = Limiter(key_func=get_remote_address)

View = TypeVar("View", bound=Callable[..., Any])
# The views no limit applies to at all (see unlimited()).
_UNLIMITED: set[Callable[..., Any]] = set()


def unlimited(view: View) -> View:
    """``limiter.exempt``, and the limiter's per-request work skipped for this view.

    An exempt view still costs the limiter's hook a resolution of every limit that might apply
    before it finds none; a page that is reloaded often is better without it.
    """
    exempt = limiter.exempt(view)
    _UNLIMITED.add(exempt)
    return exempt


def _skip_unlimited_views(app: Flask) -> None:
    """Put a check for the unlimited views in front of the limiter's request hooks."""

    def unlimited_view() -> bool:
        endpoint = request.endpoint
        return endpoint is not None and current_app.view_functions.get(endpoint) in _UNLIMITED

    before = app.before_request_funcs[None]
    check = limiter._check_request_limit  # the hook init_app registered
    position = before.index(check)  # a new Flask-Limiter that renamed it fails here, loudly

    def check_unless_unlimited() -> None:
        if not unlimited_view():
            check()

    before[position] = check_unless_unlimited
    # Its after-request hook deducts conditional limits and adds the limit headers: nothing to
    # do where no limit applies. (Found by name; a new Flask-Limiter that renamed it fails here.)
    after = app.after_request_funcs[None]
    (position,) = [
        i
        for i, hook in enumerate(after)
        if getattr(getattr(hook, "func", None), "__name__", "") == "__inject_headers"
    ]
    inject = after[position]

    def inject_unless_unlimited(response: Response) -> Response:
        return response if unlimited_view() else inject(response)

    after[position] = inject_unless_unlimited


# Signed CSRF tokens by the session's raw token (see csrf_token()); emptied when this full.
_SIGNED_TOKENS_KEPT = 10_000
_signed_tokens: dict[tuple[str | bytes, str], str] = {}


def csrf_token() -> str:
    """The templates' ``csrf_token()``: Flask-WTF's, signed once per session token and process.

    Flask-WTF signs the session's raw token anew on every page that has a form. Without a time
    limit (WTF_CSRF_TIME_LIMIT None, our default) every signature of the same raw token is
    equally valid, so the first one is kept and reused. With a limit, each page signs afresh.
    """
    config = current_app.config
    if config["WTF_CSRF_TIME_LIMIT"] is not None:
        return generate_csrf()  # type: ignore[no-any-return]
    name = config["WTF_CSRF_FIELD_NAME"]
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key or ""
    raw = session.get(name)
    token = _signed_tokens.get((secret, raw)) if isinstance(raw, str) else None
    if token is None:
        token = generate_csrf()
        raw = session[name]  # a new session's raw token is made by generate_csrf
        if len(_signed_tokens) >= _SIGNED_TOKENS_KEPT:
            _signed_tokens.clear()
        _signed_tokens[(secret, raw)] = token
    return token  # type: ignore[no-any-return]


def init_extensions(app: Flask, settings: Settings) -> None:
    """Configure and bind Babel, CSRF and the rate limiter to ``app``."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Taipei")
    # One catalogue per area, merged at load: the public pages' and the counter console's.
    app.config.setdefault("BABEL_DOMAIN", "messages;counter")
    # Flask-Babel pairs directories with domains by position: the same folder for both.
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", f"{TRANSLATIONS};{TRANSLATIONS}")
    babel.init_app(app, locale_selector=babel_locale)

    # A form may sit open at the counter for a while; the token lives as long as the session.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # Strict mode compares the Referer over https, but Referrer-Policy: no-referrer means there is
    # none; the token plus SameSite=Lax cookies is the check.
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    processors = app.template_context_processors[None]
    before = len(processors)
    csrf.init_app(app)
    # Flask-WTF also hands generate_csrf to every template through a context processor, which
    # would hide the global: the globals are enough, and one call less per page.
    del processors[before:]
    app.jinja_env.globals["csrf_token"] = csrf_token

    # Set every time: Flask-Limiter keeps the last app's value on the shared instance otherwise.
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.redis_url or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "tracker")
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis carries counters, not truth: if it is down, count in this process rather than fail.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    _skip_unlimited_views(app)
