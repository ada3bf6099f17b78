"""The voice webhooks: the phone menu for callers, and what our reminder calls say."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from service import phone_line
from service.phones import InvalidPhoneNumber, to_e164
from service.reminder_calls import UnknownMessageError
from service.webhooks import caller_number, required_form_value, settings, twilio_signed

bp = Blueprint("voice", __name__, url_prefix="/voice")


@bp.post("")
@twilio_signed
def incoming_call() -> Response:
    """Greet a caller with the language choice."""
    turn = _turn(_caller())
    boneline = current_app.extensions["boneline"]
    return _twiml(phone_line.start_menu(boneline.texts, turn))


@bp.post("/menu")
@twilio_signed
def menu_answer() -> Response:
    """Act on a caller's keypress, words or silence; where they are is in the query string."""
    turn = _turn(_caller())
    boneline = current_app.extensions["boneline"]
    query = request.args.to_dict()
    return _twiml(phone_line.answer_menu(boneline.db.Session, boneline.texts, turn, query))


@bp.post("/reminder")
@twilio_signed
def reminder_call() -> Response:
    """Say a reminder or check-in on a call we placed (or leave a voicemail)."""
    turn = _turn(caller_number("To"))
    boneline = current_app.extensions["boneline"]
    answered_by = request.form.get("AnsweredBy", "")
    try:
        twiml = phone_line.answer_reminder(
            boneline.db.Session, boneline.texts, turn, request.args.to_dict(), answered_by
        )
    except UnknownMessageError:
        abort(400, description="message must be a reminder or check-in id")
    return _twiml(twiml)


@bp.post("/reminder/answer")
@twilio_signed
def reminder_answer() -> Response:
    """Act on the key or words the person gave on a reminder or check-in call."""
    turn = _turn(caller_number("To"))
    boneline = current_app.extensions["boneline"]
    try:
        twiml = phone_line.answer_reminder_keys(
            boneline.db.Session, boneline.texts, turn, request.args.to_dict()
        )
    except UnknownMessageError:
        abort(400, description="message must be a reminder or check-in id")
    return _twiml(twiml)


def _caller() -> str:
    """The caller's number, or '' when they hide it (Twilio then sends a placeholder)."""
    try:
        return to_e164(required_form_value("From"), settings().DEFAULT_REGION)
    except InvalidPhoneNumber:
        return ""


def _turn(phone: str) -> phone_line.CallTurn:
    """Who is on the line (the caller, or whom we called) and what they pressed or said."""
    return phone_line.CallTurn(
        phone=phone,
        call_sid=required_form_value("CallSid"),
        digits=request.form.get("Digits", "").strip(),
        speech=request.form.get("SpeechResult", "").strip(),
        step=request.full_path,
    )


def _twiml(document: str) -> Response:
    """A TwiML response."""
    return Response(document, mimetype="text/xml")
