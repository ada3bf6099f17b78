"""The voice webhooks: the phone menu for callers, and what our reminder calls say."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, request

from service.domain.call_plan import Plan
from service.domain.call_script import UnknownMessageError
from service.domain.phones import InvalidPhoneNumber, to_e164
from service.flows import call_step
from service.flows.deployment import Deployment
from service.gateway.twiml import render_twiml
from service.web.twilio_requests import (
    caller_number,
    required_form_value,
    settings,
    twilio_signed,
    zip_code,
)
from service.words.normalize import storable

bp = Blueprint("voice", __name__, url_prefix="/voice")


def deployment() -> Deployment:
    """This app's deployment."""
    found: Deployment = current_app.extensions["boneline"]
    return found


@bp.post("")
@twilio_signed
def incoming_call() -> Response:
    """Greet a caller with the language choice."""
    return _twiml(call_step.start_menu(_turn(_caller(), zip_code())))


@bp.post("/menu")
@twilio_signed
def menu_answer() -> Response:
    """Act on a caller's keypress, words or silence; where they are is in the query string."""
    here = deployment()
    query = request.args.to_dict()
    turn = _turn(_caller(), zip_code())
    follow_up = bool(here.settings.CARE_TEAM_LOSS_FOLLOW_UP)
    return _twiml(
        call_step.answer_menu(here.db.Session, here.texts, turn, query, loss_follow_up=follow_up)
    )


@bp.post("/reminder")
@twilio_signed
def reminder_call() -> Response:
    """Say a reminder or check-in on a call we placed (or leave a voicemail)."""
    here = deployment()
    turn = _turn(caller_number("To"), zip_code("ToZip"))
    answered_by = request.form.get("AnsweredBy", "")
    try:
        plan = call_step.answer_reminder(
            here.db.Session,
            here.texts,
            turn,
            request.args.to_dict(),
            answered_by,
            dt.timedelta(hours=here.settings.CALL_RETRY_HOURS),
        )
    except UnknownMessageError:
        abort(400, description="message must be a reminder or check-in id")
    return _twiml(plan)


@bp.post("/reminder/answer")
@twilio_signed
def reminder_answer() -> Response:
    """Act on the key or words the person gave on a reminder or check-in call."""
    here = deployment()
    turn = _turn(caller_number("To"), zip_code("ToZip"))
    try:
        plan = call_step.answer_reminder_keys(
            here.db.Session, here.texts, turn, request.args.to_dict()
        )
    except UnknownMessageError:
        abort(400, description="message must be a reminder or check-in id")
    return _twiml(plan)


def _caller() -> str:
    """The caller's number, or '' when they hide it (Twilio then sends a placeholder)."""
    try:
        return to_e164(required_form_value("From"), settings().DEFAULT_REGION)
    except InvalidPhoneNumber:
        return ""


def _turn(phone: str, zip_code: str | None) -> call_step.CallTurn:
    """Who is on the line (the caller, or whom we called), where, and what they pressed or said."""
    return call_step.CallTurn(
        phone=phone,
        call_sid=required_form_value("CallSid"),
        digits=storable(request.form.get("Digits", "")).strip(),
        speech=storable(request.form.get("SpeechResult", "")).strip(),
        step=request.full_path,
        zip_code=zip_code,
    )


def _twiml(plan: Plan) -> Response:
    """The plan spoken as TwiML."""
    return Response(render_twiml(plan, deployment().texts), mimetype="text/xml")
