"""The SMS webhook: Twilio posts each incoming text here and sends our TwiML reply."""

from __future__ import annotations

from urllib.parse import urlencode

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
    return twiml_messages(replies, inbound.message_sid)


def twiml_messages(bodies: list[str], reply_to: str | None = None) -> Response:
    """A <Response> with one <Message> per body (TwiML escapes the text).

    Each reply's `action` brings its delivery status (and Twilio's SID for it) to /sms/status,
    naming the inbound message and the reply's place, so our log of the reply gets both.
    """
    response = MessagingResponse()
    for index, body in enumerate(bodies):
        if reply_to:
            response.message(
                body, action=f"/sms/status?{urlencode({'reply_to': reply_to, 'n': index})}"
            )
        else:
            response.message(body)
    return Response(str(response), mimetype="text/xml")
