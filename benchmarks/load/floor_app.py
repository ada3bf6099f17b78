"""The floor: the bare app plus the least any webhook that keeps its promises must do.

It checks Twilio's signature and durably logs the request (one INSERT and a COMMIT, in the same
database and with the same settings as BoneLine) before answering with the bare app's TwiML. No
conversation, no lookups, no ORM. BoneLine cannot be faster than this; the bare app is the
ceiling. Both together show how much of the gap is our own code and how much is the work itself.
"""

from __future__ import annotations

import datetime as dt
import os

import sqlalchemy as sa
from bare_app import TWIML, WEBHOOK_PATHS
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from service.store.db import make_engine

LOG = sa.table(
    "messages",
    sa.column("phone"),
    sa.column("direction"),
    sa.column("channel"),
    sa.column("twilio_sid"),
    sa.column("body"),
    sa.column("status"),
    sa.column("created_at"),
    sa.column("updated_at"),
)
INSERT = sa.insert(LOG)


def create_app() -> Flask:
    """A Flask app with BoneLine's webhook routes that validate, log one row, and answer."""
    app = Flask(__name__)
    engine = make_engine(os.environ["DATABASE_URL"])
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    base_url = os.environ["PUBLIC_BASE_URL"].rstrip("/")

    @app.get("/")
    def health() -> dict[str, str]:
        """Say the app is up."""
        return {"status": "ok"}

    def logged() -> Response:
        """Check the signature, log the request durably, answer with the fixed TwiML."""
        path = request.full_path if request.query_string else request.path
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(base_url + path, request.form, signature):
            abort(403)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        sid = request.form.get("MessageSid") or request.form.get("CallSid") or ""
        row = {
            "phone": request.form.get("From", ""),
            "direction": "inbound",
            "channel": "sms",
            # Status callbacks and call steps repeat a SID: keep the column's uniqueness.
            "twilio_sid": None,
            "body": f"{request.path} {sid} {request.form.get('Body', '')}",
            "status": "received",
            "created_at": now,
            "updated_at": now,
        }
        with engine.begin() as connection:
            connection.execute(INSERT, row)
        return Response(TWIML, mimetype="text/xml")

    for path in WEBHOOK_PATHS:
        app.add_url_rule(path, view_func=logged, methods=["POST"])
    return app
