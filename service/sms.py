"""The SMS webhook: Twilio posts each incoming text here and sends our TwiML reply."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from service.subscriptions import InboundText, LoopLimit, receive_text
from service.webhooks import caller_number, twilio_sid, twilio_signed, zip_code

bp = Blueprint("sms", __name__)


@bp.post("/sms")
@twilio_signed
def incoming_text() -> Response:
    """Answer an incoming text with TwiML."""
    inbound = InboundText(
        phone=caller_number(),
        body=request.form.get("Body", ""),
        message_sid=twilio_sid("MessageSid"),
        zip_code=zip_code(),
    )
    boneline = current_app.extensions["boneline"]
    loop_limit = LoopLimit.from_settings(boneline.settings)
    replies = receive_text(boneline.db.Session, inbound, boneline.texts, loop_limit=loop_limit)
    return twiml_messages(replies)


def twiml_messages(bodies: list[str]) -> Response:
    """A <Response> with one <Message> per body (TwiML escapes the text)."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return Response(str(response), mimetype="text/xml")
