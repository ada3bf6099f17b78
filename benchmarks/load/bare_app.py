"""The baseline: a bare Flask app that answers every webhook with one fixed TwiML document."""

from __future__ import annotations

from flask import Flask, Response

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
    "Sorry, we did not understand. Text MENU to see topics. Text HELP for help."
    "</Message></Response>"
)


# Every route BoneLine's webhooks answer, so each line of the request mix is a 200.
WEBHOOK_PATHS = ("/sms", "/voice", "/voice/menu", "/sms/status", "/voice/status")


def create_app() -> Flask:
    """A Flask app with the same routes as BoneLine's webhooks and no work behind them."""
    app = Flask(__name__)

    @app.get("/")
    def health() -> dict[str, str]:
        """Say the app is up."""
        return {"status": "ok"}

    def fixed() -> Response:
        """Answer with the fixed TwiML."""
        return Response(TWIML, mimetype="text/xml")

    for path in WEBHOOK_PATHS:
        app.add_url_rule(path, view_func=fixed, methods=["POST"])

    return app
