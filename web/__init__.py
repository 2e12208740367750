"""The Flask app: ``gunicorn "web:create_app()"``."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Settings, load_settings
from config.celery import celery_config
from config.settings import require_strong_secret_key, startup_warnings
from tracker.db import Database
from workers.celery_app import celery_init_app

# Seconds a pooled connection may sit unused before the next request checks it with a ping.
PING_AFTER_IDLE = 10.0


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app from the settings (the environment unless given)."""
    settings = settings or load_settings()
    require_strong_secret_key(settings)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    from web.core.template_language import LanguageEnvironment

    app.jinja_environment = LanguageEnvironment  # before anything makes app.jinja_env
    for warning in startup_warnings(settings):
        app.logger.warning(warning)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SETTINGS=settings,
        CELERY=celery_config(settings),
    )
    if settings.trusted_proxies:
        # Behind N reverse proxies: the client, the scheme and the host Twilio signed are the
        # ones the proxies saw. Without one (the default) these headers are anyone's to forge,
        # and the rate limits, the audit log and /outbox's loopback check read the peer itself.
        proxies = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    # A sync worker serves one request at a time and reuses its pooled connection: checking it
    # at every checkout would add a round trip to each request (tracker.db.make_engine).
    app.extensions["database"] = Database(settings.database_url, ping_after_idle=PING_AFTER_IDLE)
    if settings.redis_url:
        celery_init_app(app)

    from web.core.errors import init_errors
    from web.core.extensions import init_extensions
    from web.core.formatting import init_formatting
    from web.core.i18n import template_context
    from web.core.request_limits import init_request_limits
    from web.core.security import init_security
    from web.operations import init_operations

    if settings.log_format == "json":
        from tracker.operations.logs import use_json_logs

        use_json_logs(app.logger)
    # First, so that its timer starts before every other hook.
    init_operations(app)
    init_security(app, settings.public_base_url)
    # Before the extensions: CSRF and the rate limiter read forms that this checks first.
    init_request_limits(app)
    init_extensions(app, settings)
    init_formatting(app)
    init_errors(app)
    app.context_processor(template_context)
    register_blueprints(app)
    return app


def register_blueprints(app: Flask) -> None:
    """The public pages, the webhooks, the console, the API and Open311."""
    from web.core.extensions import csrf
    from web.core.i18n import language
    from web.public.board import board
    from web.public.home import home
    from web.public.open_data import open_data
    from web.public.outbox import outbox
    from web.public.services import services
    from web.public.status import status
    from web.public.survey import survey
    from web.webhooks import webhooks

    # Providers sign their callbacks; they cannot carry our CSRF token.
    csrf.exempt(webhooks)

    app.register_blueprint(webhooks)
    app.register_blueprint(outbox)
    app.register_blueprint(language)
    app.register_blueprint(home)
    app.register_blueprint(status)
    app.register_blueprint(services)
    app.register_blueprint(board)
    app.register_blueprint(survey)
    app.register_blueprint(open_data)

    from web.counter import counter

    app.register_blueprint(counter)

    from web.api import init_api

    # After init_errors: unknown /api/v1 addresses get JSON, not the site's error page.
    init_api(app)

    from web.open311 import init_open311

    # Open311 GeoReport v2, also after init_errors: its errors are in the spec's format.
    init_open311(app)
