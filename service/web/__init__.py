"""The web app: the factory, one blueprint per Twilio surface, and the care team's page.

The only code that imports Flask. Views check Twilio's signature, call one flow, return TwiML.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from service.config import load_settings
from service.domain.dates import parse_date
from service.domain.reading import process_model
from service.flows.deployment import Deployment, default_instance_path
from service.gateway.error_reports import init_error_reports
from service.logs import configure_logging
from service.store.db import DatabaseUnavailable

log = logging.getLogger(__name__)

# Twilio allows 1,600 characters in a text; a webhook body is never near this.
MAX_WEBHOOK_BYTES = 64 * 1024

# The name the views reach the deployment by (`current_app.extensions["boneline"]`).
Boneline = Deployment


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app from defaults, the environment, and `config` (tests pass a dict)."""
    configure_logging()
    app = Flask(__name__, instance_path=default_instance_path())
    settings = load_settings(config, instance_path=app.instance_path)
    init_error_reports(settings, "web")
    app.config.update(
        SECRET_KEY=settings.SECRET_KEY or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=MAX_WEBHOOK_BYTES,
    )
    app.config.update({key: value for key, value in (config or {}).items() if key.isupper()})
    if settings.TRUSTED_PROXY_COUNT:
        hops = settings.TRUSTED_PROXY_COUNT
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    app.extensions["boneline"] = Deployment.from_settings(settings)

    from service.web import bridge, care, health, sms, status, voice

    app.register_blueprint(sms.bp)
    app.register_blueprint(voice.bp)
    app.register_blueprint(bridge.bp)
    app.register_blueprint(status.bp)
    app.register_blueprint(health.bp)
    care.init_app(app, settings)
    _register_error_pages(app)

    @app.get("/")
    def home() -> dict[str, str]:
        """Say the service is up, like /healthz (for curious operators); /readyz checks more."""
        return {"service": settings.PROGRAM_NAME, "status": "ok"}

    _warm_up()
    if settings.demo_mode:
        app.logger.warning(
            "LOCAL DEMO MODE: TWILIO_AUTH_TOKEN is not set, so webhooks are accepted WITHOUT "
            "signature checks and nothing is sent through Twilio. Never run this way in production."
        )
    return app


@functools.cache
def _warm_up() -> None:
    """Load the date parser's languages (150 ms) and the understanding model (from its disk
    cache, or trained once) now, not during the first person's answer.

    Once per process: every later app in the same process (tests build hundreds) finds them loaded.
    """
    today = dt.date(2026, 1, 1)
    parse_date("June 5", "en", today, "future")
    parse_date("5 de junio", "es", today, "future")
    process_model()


def _register_error_pages(app: Flask) -> None:
    """Short plain-text errors; a database outage is a 503 so Twilio retries later."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        """Answer an HTTP error with its code and a one-line reason."""
        text = f"{error.code} {error.name}: {error.description or ''}".strip()
        return Response(text, status=error.code, mimetype="text/plain")

    @app.errorhandler(DatabaseUnavailable)
    def database_unavailable(error: DatabaseUnavailable) -> Response:
        """Tell Twilio to try again later; nothing was written."""
        log.error("database unavailable: %s", type(error.orig).__name__)
        return Response(
            "503 Service Unavailable: try again later", status=503, mimetype="text/plain"
        )
