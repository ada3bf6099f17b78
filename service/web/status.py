"""Status callbacks: Twilio posts each text's delivery status and each call's progress here."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from service.domain.clock import utcnow
from service.flows.status_callback import StatusUpdate, record_call_status, record_sms_status
from service.web.twilio_requests import SID_SHAPE, required_form_value, twilio_signed

bp = Blueprint("status", __name__)


def _error_code() -> int | None:
    """The ErrorCode parameter, when Twilio sent a number."""
    raw = request.form.get("ErrorCode", "").strip()
    return int(raw) if raw.isdigit() else None


def _reply_to() -> tuple[str, int] | None:
    """Which TwiML reply a callback is about: the inbound MessageSid and the reply's place."""
    inbound, index = request.args.get("reply_to", ""), request.args.get("n", "")
    if not SID_SHAPE.fullmatch(inbound) or not index.isdigit() or len(index) > 2:
        return None
    return inbound, int(index)


@bp.post("/sms/status")
@twilio_signed
def sms_status() -> Response:
    """Record a text's delivery status."""
    update = StatusUpdate(
        required_form_value("MessageSid"),
        required_form_value("MessageStatus"),
        _error_code(),
        reply_to=_reply_to(),
    )
    record_sms_status(current_app.extensions["boneline"].db.Session, update, utcnow())
    return Response(status=204)


@bp.post("/voice/status")
@twilio_signed
def voice_status() -> Response:
    """Record a reminder call's progress (and plan a retry when nobody answered)."""
    boneline = current_app.extensions["boneline"]
    update = StatusUpdate(
        required_form_value("CallSid"), required_form_value("CallStatus"), _error_code()
    )
    record_call_status(boneline.db.Session, update, utcnow(), boneline.settings.CALL_RETRY_HOURS)
    return Response(status=204)
