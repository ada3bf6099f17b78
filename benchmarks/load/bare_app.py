"""The baseline: a bare Flask app that answers every webhook with one fixed TwiML document."""

from __future__ import annotations

from flask import Flask, Response

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
    "Sorry, we did not understand. Text MENU to see topics. Text HELP for help."
    "</Message></Response>"
)


def create_app() -> Flask:
    """A Flask app with the same routes as BoneLine's webhooks and no work behind them."""
    app = Flask(__name__)

    @app.get("/")
    def health() -> dict[str, str]:
        """Say the app is up."""
        return {"status": "ok"}

    @app.post("/sms")
    @app.post("/voice")
    @app.post("/voice/menu")
    @app.post("/sms/status")
    @app.post("/voice/status")
    def fixed() -> Response:
        """Answer with the fixed TwiML (status callbacks too: every line of the mix is a 200)."""
        return Response(TWIML, mimetype="text/xml")

    return app
