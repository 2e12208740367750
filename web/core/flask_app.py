"""Flask, without redoing per request the work whose answer a process already knows.

Some answers never change while a process runs: whether a view or hook is a coroutine function
(Flask asks ``inspect`` for every hook of every request, about ten per page); the address of a
page that takes no arguments or of a static file (a page's header and footer build the same
half-dozen each time); the session cookie's serializer for the app's keys (Flask builds a new
one, with its signer, twice a request). They are kept here after the first time. Everything
else is Flask's.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any

from flask import Flask
from flask.globals import _cv_request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

# Endpoints whose addresses are kept per file name as well (a fixed set of files).
_KEPT_WITH_VALUES = frozenset({"static"})


class KeptSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the serializer kept while the keys stay the same."""

    def __init__(self) -> None:
        self._kept: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer for the app's current keys (built again if they change)."""
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._kept
        if kept is None or kept[0] != keys:
            kept = self._kept = (keys, super().get_signing_serializer(app))
        return kept[1]


class TrackerFlask(Flask):
    """The app class: Flask with the process-wide answers above kept."""

    session_interface = KeptSerializerSessions()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}
        self._addresses: dict[tuple[Any, ...], str] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's answer, kept per plain function (bound methods are made anew each time)."""
        if type(func) is not FunctionType:
            return super().ensure_sync(func)
        known = self._sync.get(func)
        if known is None:
            known = self._sync[func] = super().ensure_sync(func)
        return known

    def create_jinja_environment(self) -> Any:
        """Flask's environment, with ``url_for`` a plain function: Jinja calls those directly
        (web.core.templating), where a bound method takes its slower general path."""
        environment = super().create_jinja_environment()
        app_url_for = self.url_for

        def url_for(endpoint: str, **values: Any) -> str:
            return app_url_for(endpoint, **values)

        environment.globals["url_for"] = url_for
        return environment

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """Flask's ``url_for``; a relative address without arguments (or of a static file) is
        built once per script root and kept."""
        request_context = _cv_request.get(None)
        if (
            request_context is None
            or _anchor is not None
            or _method is not None
            or _scheme is not None
            or _external
            or endpoint.startswith(".")
            or (values and endpoint not in _KEPT_WITH_VALUES)
            # url_defaults functions may add values from the request: then nothing is kept.
            or self.url_default_functions
        ):
            return super().url_for(
                endpoint,
                _anchor=_anchor,
                _method=_method,
                _scheme=_scheme,
                _external=_external,
                **values,
            )
        key = (request_context.request.script_root, endpoint, *sorted(values.items()))
        address = self._addresses.get(key)
        if address is None:
            address = self._addresses[key] = super().url_for(endpoint, **values)
        return address
