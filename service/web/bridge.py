"""The care team's bridge call: Twilio's webhooks while "Call now" rings the staff member and
connects them to the person. Every route checks Twilio's signature; the contact id in the
query string is part of what Twilio signed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from service.domain.bridge import BridgeStep
from service.domain.clock import utcnow
from service.flows import care_bridge
from service.flows.care_bridge import Leg
from service.flows.deployment import Deployment
from service.gateway.twiml import render_bridge
from service.web.twilio_requests import required_form_value, twilio_sid, twilio_signed

bp = Blueprint("bridge", __name__, url_prefix="/voice/bridge")

MAX_ID = 2**31 - 1


def deployment() -> Deployment:
    """This app's deployment."""
    found: Deployment = current_app.extensions["boneline"]
    return found


def _contact_id() -> int:
    """The call's contact id from the query string; 400 when it is not one."""
    raw = request.args.get("contact", "")
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        abort(400, description="contact must be a number")
    return int(raw)


def _call_sid() -> str:
    """This call's CallSid; 400 when it is missing or not SID-shaped."""
    sid = twilio_sid("CallSid")
    if sid is None:
        abort(400, description="missing parameter CallSid")
    return sid


def _twiml(step: BridgeStep) -> Response:
    return Response(render_bridge(step, deployment().texts), mimetype="text/xml")


@bp.post("")
@twilio_signed
def answered() -> Response:
    """The staff member answered their phone: ask them to press 1."""
    here = deployment()
    step = care_bridge.answered(
        here.db.Session, _contact_id(), _call_sid(), here.settings.PUBLIC_BASE_URL
    )
    return _twiml(step)


@bp.post("/connect")
@twilio_signed
def connect() -> Response:
    """The staff member's key: 1 dials the person with the program's number as caller ID."""
    here = deployment()
    tries = request.args.get("tries", "0")
    step = care_bridge.connect(
        here.db.Session,
        _contact_id(),
        _call_sid(),
        request.form.get("Digits", ""),
        int(tries) if tries.isascii() and tries.isdigit() and len(tries) < 3 else 0,
        public_base_url=here.settings.PUBLIC_BASE_URL,
        caller_id=here.settings.TWILIO_PHONE_NUMBER,
    )
    return _twiml(step)


@bp.post("/dialed")
@twilio_signed
def dialed() -> Response:
    """The dial to the person ended: tell the staff member how."""
    _contact_id()
    return _twiml(care_bridge.after_dial(request.form.get("DialCallStatus", "")))


@bp.post("/whisper")
@twilio_signed
def whisper() -> Response:
    """The person answered: say who is calling, in their language, then connect."""
    return _twiml(care_bridge.whisper(deployment().db.Session, _contact_id()))


@bp.post("/status")
@twilio_signed
def status() -> Response:
    """Record a leg's progress once (answered, no answer, busy, and how long)."""
    try:
        leg = Leg(request.args.get("leg", ""))
    except ValueError:
        abort(400, description="leg must be staff or person")
    raw_duration = request.form.get("CallDuration", "").strip()
    duration = (
        int(raw_duration)
        if raw_duration.isascii() and raw_duration.isdigit() and len(raw_duration) < 7
        else None
    )
    care_bridge.record_status(
        deployment().db.Session,
        _contact_id(),
        leg,
        _call_sid(),
        required_form_value("CallStatus"),
        duration,
        utcnow(),
    )
    return Response(status=204)
