"""The SMS webhook: Twilio posts each incoming text here and sends our TwiML reply."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from service.flows.deployment import Deployment
from service.flows.inbound_text import InboundText, receive_text
from service.gateway.twiml import messaging_twiml
from service.web.twilio_requests import caller_number, twilio_sid, twilio_signed, zip_code
from service.words.normalize import storable

bp = Blueprint("sms", __name__)


@bp.post("/sms")
@twilio_signed
def incoming_text() -> Response:
    """Answer an incoming text with TwiML."""
    inbound = InboundText(
        phone=caller_number(),
        body=storable(request.form.get("Body", "")),
        message_sid=twilio_sid("MessageSid"),
        zip_code=zip_code(),
    )
    deployment: Deployment = current_app.extensions["boneline"]
    replies = receive_text(
        deployment.db.Session,
        inbound,
        deployment.texts,
        loop_rule=deployment.loop_rule,
        loss_follow_up=bool(deployment.settings.CARE_TEAM_LOSS_FOLLOW_UP),
    )
    return twiml_messages(replies, inbound.message_sid)


def twiml_messages(bodies: list[str], reply_to: str | None = None) -> Response:
    """A TwiML response with one <Message> per body."""
    return Response(messaging_twiml(bodies, reply_to), mimetype="text/xml")
