"""Read and check every setting once, at start-up, so a typo fails loudly instead of at 3 a.m."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit

from config.gateways import gateway_settings
from config.identity import identity_settings
from config.instance import demo_secret_key
from config.observability import observability_settings

DEFAULT_QUIET_HOURS = "21:00-09:00"
# The value .env.example ships with (tests/config/test_settings.py checks they agree).
EXAMPLE_SECRET_KEY = "change-me-to-a-long-random-string"  # noqa: S105 - refused, not used
# Sessions, CSRF tokens, survey links and Mitake's callback path are signed with SECRET_KEY: a
# short or published key lets anyone forge them.
MIN_SECRET_KEY_LENGTH = 32
_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class SettingsError(ValueError):
    """One or more settings are invalid; the message lists each with what is expected."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "Invalid settings:\n" + "\n".join(f"  - {problem}" for problem in problems)
        )


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    secret_key: str
    public_base_url: str
    redis_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base: str | None = None
    smtp_url: str | None = None
    mail_from: str | None = None
    sms_quiet_hours: tuple[time, time] | None = field(default=(time(21, 0), time(9, 0)))
    # The catalogue file the console's administrator reloads (`tracker catalogue load` takes any).
    catalogue_file: Path | None = None
    # Gateways beyond Twilio and SMTP (config.gateways): "twilio" | "mitake" | None (local outbox).
    sms_provider: str | None = None
    mitake_username: str | None = None
    mitake_password: str | None = None
    mitake_api_base: str = "https://smsapi.mitake.com.tw/api/mtk"
    line_channel_secret: str | None = None
    line_channel_access_token: str | None = None
    line_api_base: str = "https://api.line.me"
    line_add_friend_url: str | None = None
    # Watching it run (config.observability).
    metrics_token: str | None = None
    log_format: str = "text"
    # How many reverse proxies' X-Forwarded-For entries to believe (0: the peer is the client).
    trusted_proxies: int = 0
    # `tracker demo`: its own generated key is accepted (require_strong_secret_key).
    demo: bool = False
    # Who may sign in (config.identity): a directory for passwords, a second factor for admins.
    ldap_url: str | None = None
    ldap_bind_dn_template: str | None = None
    require_totp: str = ""

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded default (SQLite, no Redis)."""
        return self.database_url.startswith("sqlite")

    @property
    def twilio_enabled(self) -> bool:
        """Whether SMS goes through Twilio (otherwise it lands in the local outbox)."""
        return bool(self.twilio_account_sid)

    @property
    def sms_waits(self) -> bool:
        """No SMS provider outside `tracker demo`: SMS notices wait, marked as such, instead of
        being "delivered" to a local outbox nobody reads (notifications.dispatch)."""
        return self.sms_provider is None and not self.demo

    @property
    def directory_enabled(self) -> bool:
        """Whether console passwords are checked by the directory (LDAP) instead of locally."""
        return bool(self.ldap_url and self.ldap_bind_dn_template)

    @property
    def line_enabled(self) -> bool:
        """Whether applicants can bind a case to the office's LINE official account."""
        return bool(self.line_channel_secret and self.line_channel_access_token)


def normalise_database_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as given and use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """``21:00-09:00`` → (21:00, 09:00); empty → None (SMS never held)."""
    if not text.strip():
        return None
    match = _QUIET.match(text)
    if match is None:
        raise ValueError(f"'{text}' is not HH:MM-HH:MM (e.g. {DEFAULT_QUIET_HOURS})")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ValueError(f"'{text}': {exc}") from None
    if start == end:
        raise ValueError(f"'{text}': start and end are the same; leave it empty to disable")
    return start, end


def secret_key_problem(key: str) -> str | None:
    """What is wrong with ``key`` as a production SECRET_KEY, or None."""
    advice = (
        "set at least 32 random characters, e.g. the output of "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
    )
    if key == EXAMPLE_SECRET_KEY:
        return f"SECRET_KEY: is the example from .env.example; {advice}"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        found = f"has {len(key)} characters" if key else "is not set"
        return f"SECRET_KEY: {found}; {advice}"
    return None


def require_strong_secret_key(settings: Settings) -> None:
    """Refuse to start (SettingsError) with a weak SECRET_KEY, outside `tracker demo`."""
    problem = None if settings.demo else secret_key_problem(settings.secret_key)
    if problem:
        raise SettingsError([problem])


def _trusted_proxies(text: str | None, problems: list[str]) -> int:
    """TRUSTED_PROXIES: how many proxies stand in front (default 0: believe no forwarded header)."""
    if text is None:
        return 0
    if text.isdigit() and int(text) <= 10:
        return int(text)
    problems.append("TRUSTED_PROXIES: the number of reverse proxies in front, from 0 to 10")
    return 0


def startup_warnings(settings: Settings) -> list[str]:
    """What the web app and the worker log at start-up: settings that work but do less than
    an operator may think."""
    warnings = []
    if settings.sms_waits:
        warnings.append(
            "No SMS provider is configured: SMS notices wait, marked 'no SMS provider "
            "configured', until one is (SMS_PROVIDER with TWILIO_* or MITAKE_*; "
            "docs/operations.md)"
        )
    return warnings


def _twilio_settings(
    get: Callable[[str], str | None], problems: list[str]
) -> dict[str, str | None]:
    """TWILIO_*: the account, the sender and an optional API base, checked together."""
    sid, token = get("TWILIO_ACCOUNT_SID"), get("TWILIO_AUTH_TOKEN")
    sender, service_sid = get("TWILIO_FROM"), get("TWILIO_MESSAGING_SERVICE_SID")
    if sid or token:
        if not (sid and token):
            problems.append("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together")
        if not (sender or service_sid):
            problems.append("Twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
    api_base = get("TWILIO_API_BASE")
    if api_base and urlsplit(api_base).scheme not in ("http", "https"):
        problems.append("TWILIO_API_BASE: must be an http:// or https:// address")
    return {
        "twilio_account_sid": sid,
        "twilio_auth_token": token,
        "twilio_from": sender,
        "twilio_messaging_service_sid": service_sid,
        "twilio_api_base": api_base,
    }


def load_settings(environ: Mapping[str, str] | None = None, *, demo: bool = False) -> Settings:
    """Build the settings from the environment, refusing every invalid value at once.

    ``demo``: `tracker demo`, which makes its own SECRET_KEY in the instance folder when none is
    set. Elsewhere a missing key is left empty: the commands that sign nothing run without one,
    and the web app and the worker refuse to start (require_strong_secret_key).
    """
    env = dict(os.environ if environ is None else environ)
    problems: list[str] = []

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    instance_path = Path(get("TRACKER_INSTANCE") or "instance").resolve()

    database_url = get("DATABASE_URL") or f"sqlite:///{instance_path / 'tracker.db'}"
    database_url = normalise_database_url(database_url)
    if not database_url.startswith(("sqlite:", "postgresql+psycopg:")):
        problems.append(
            f"DATABASE_URL: '{urlsplit(database_url).scheme}' is not supported; use "
            "postgresql://user@host/db or sqlite:///path/to/file.db"
        )

    redis_url = get("REDIS_URL")
    if redis_url and urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
        problems.append("REDIS_URL: must start with redis://, rediss:// or unix://")

    public_base_url = (get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    parts = urlsplit(public_base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append("PUBLIC_BASE_URL: must be an http:// or https:// address")

    twilio = _twilio_settings(get, problems)

    smtp_url, mail_from = get("SMTP_URL"), get("MAIL_FROM")
    if smtp_url:
        if urlsplit(smtp_url).scheme not in ("smtp", "smtps"):
            problems.append("SMTP_URL: must be smtp://user:pass@host:port or smtps://...")
        if not mail_from or "@" not in mail_from:
            problems.append("MAIL_FROM: an address to send from is needed when SMTP_URL is set")

    quiet_text = env.get("SMS_QUIET_HOURS", DEFAULT_QUIET_HOURS)
    quiet: tuple[time, time] | None = None
    try:
        quiet = parse_quiet_hours(quiet_text)
    except ValueError as exc:
        problems.append(f"SMS_QUIET_HOURS: {exc}")

    twilio_configured = bool(twilio["twilio_account_sid"] and twilio["twilio_auth_token"])
    gateways = gateway_settings(get, problems, twilio_configured=twilio_configured)
    observability = observability_settings(get, problems)
    trusted_proxies = _trusted_proxies(get("TRUSTED_PROXIES"), problems)
    identity = identity_settings(get, problems)

    catalogue_text = get("CATALOGUE_FILE")
    catalogue_file = Path(catalogue_text).resolve() if catalogue_text else None

    if problems:
        raise SettingsError(problems)

    return Settings(
        instance_path=instance_path,
        database_url=database_url,
        secret_key=get("SECRET_KEY") or (demo_secret_key(instance_path) if demo else ""),
        public_base_url=public_base_url,
        redis_url=redis_url,
        **twilio,
        smtp_url=smtp_url,
        mail_from=mail_from,
        sms_quiet_hours=quiet,
        catalogue_file=catalogue_file,
        **gateways,
        **observability,
        trusted_proxies=trusted_proxies,
        demo=demo,
        **identity,
    )
