"""The care page's ways to reach a person (show the number, call, text), the thread's refresh,
the admin's access log and a staff member's own password. Views of the /care blueprint."""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from service.domain.clock import utcnow
from service.domain.phones import mask
from service.flows import care_contact, care_queue, staff_accounts
from service.flows.care_contact import MAX_TEXT_SEGMENTS, ReachError, Refusal, TextResult
from service.gateway.sender import SendError
from service.web.care import (
    REVEALED_KEY,
    bp,
    care_page,
    current_member,
    current_staff_id,
    render_detail,
    revealed_ids,
    sessions,
)
from service.web.care_login import MIN_PASSWORD, hash_password, password_matches

log = logging.getLogger(__name__)

ACCESS_LOG_SHOWN = 500
NOT_FOUND = "There is no escalation with that number."
REFUSALS = {
    Refusal.NOT_ALLOWED: (
        "Only nurses and admins with their own account can show numbers, call or text. "
        "Ask an admin to add you with boneline staff add."
    ),
    Refusal.ERASED: "This person asked us to erase their number, so they cannot be reached here.",
    Refusal.HANDLED: "This escalation is handled. Calls and texts from the page are for open ones.",
    Refusal.NO_STAFF_PHONE: (
        "Your account has no phone number for Call now to ring. "
        "Ask an admin to add one with boneline staff phone."
    ),
    Refusal.NO_CALLER_ID: (
        "Calls from the page need the program's Twilio number (TWILIO_PHONE_NUMBER) and a "
        "public address (PUBLIC_BASE_URL). Ask whoever runs BoneLine to set them."
    ),
    Refusal.OPTED_OUT: "They replied STOP, so they cannot get texts. Call them instead.",
    Refusal.EMPTY: "Write the text to send.",
}
DEMO = (
    "Twilio is not set up here (local demo), so nothing really goes out: the terminal running "
    "BoneLine prints what would be sent."
)
TEXT_RESULTS = {
    TextResult.SENT: "Your text was sent. Their replies show below.",
    TextResult.QUEUED: (
        "Twilio could not be reached, so your text waits in the outbox: it goes out within a "
        "minute, once. Their replies show below."
    ),
    TextResult.FAILED: "Twilio refused the text. See why in the thread below.",
    TextResult.UNKNOWN: (
        "We do not know if the text went out (Twilio did not answer in time), so it is not "
        "sent again. Check the thread below for their reply, or call them."
    ),
}


def _refused(error: ReachError, escalation_id: int) -> BaseResponse:
    """Say why on the escalation's page (404 when there is no such escalation)."""
    if error.refusal is Refusal.NOT_FOUND:
        abort(404, description=NOT_FOUND)
    flash(REFUSALS.get(error.refusal, "That cannot be done here."))
    return redirect(url_for("care.escalation_detail", escalation_id=escalation_id))


@bp.post("/escalations/<int(max=2147483647):escalation_id>/reveal")
def reveal_number(escalation_id: int) -> BaseResponse:
    """Show the person's full number to a nurse or admin, and log that they saw it."""
    try:
        care_contact.reveal_number(sessions(), escalation_id, current_staff_id(), utcnow())
    except ReachError as error:
        return _refused(error, escalation_id)
    shown = revealed_ids()
    if escalation_id not in shown:
        session[REVEALED_KEY] = [*shown, escalation_id][-50:]
    target = url_for("care.escalation_detail", escalation_id=escalation_id)
    return redirect(f"{target}#reach")


@bp.post("/escalations/<int(max=2147483647):escalation_id>/call")
def call_now(escalation_id: int) -> BaseResponse:
    """Ring the staff member's own phone; when they press 1, Twilio dials the person."""
    settings = care_page().settings
    # Twilio fetches the bridge's TwiML from our public address (the demo sender only prints).
    ready = bool(settings.PUBLIC_BASE_URL) or not settings.can_send
    try:
        placed = care_contact.start_call(
            sessions(),
            care_page().sender,
            escalation_id,
            current_staff_id(),
            public_base_url=settings.PUBLIC_BASE_URL,
            caller_id=settings.TWILIO_PHONE_NUMBER if ready else "",
            now=utcnow(),
        )
    except ReachError as error:
        return _refused(error, escalation_id)
    except SendError as error:
        flash(f"The call could not be placed ({error.cause}). Try again in a minute.")
    else:
        if not settings.can_send:
            flash(DEMO)
        flash(
            f"Your phone ({mask(placed.staff_phone)}) will ring now. Answer it and press 1: "
            "BoneLine then calls the person and connects you. They see the clinic's number."
        )
    target = url_for("care.escalation_detail", escalation_id=escalation_id)
    return redirect(f"{target}#thread")


@bp.post("/escalations/<int(max=2147483647):escalation_id>/text")
def send_text(escalation_id: int) -> BaseResponse | tuple[str, int]:
    """Text the person from the program's number (kept in their message history)."""
    words = request.form.get("words", "")
    boneline = current_app.extensions["boneline"]
    try:
        result = care_contact.send_text(
            sessions(),
            care_page().sender,
            boneline.texts,
            escalation_id,
            current_staff_id(),
            words,
            utcnow(),
        )
    except ReachError as error:
        if error.refusal is Refusal.TOO_LONG:
            message = (
                f"That text is too long: it would take {error.detail.split()[0]} text messages, "
                f"and the most is {MAX_TEXT_SEGMENTS}. Make it shorter."
            )
            return render_detail(escalation_id, text_error=message, words=words), 400
        if error.refusal is Refusal.EMPTY:
            return render_detail(escalation_id, text_error=REFUSALS[Refusal.EMPTY]), 400
        return _refused(error, escalation_id)
    if not care_page().settings.can_send:
        flash(DEMO)
    flash(TEXT_RESULTS[result])
    target = url_for("care.escalation_detail", escalation_id=escalation_id)
    return redirect(f"{target}#thread")


@bp.get("/escalations/<int(max=2147483647):escalation_id>/thread")
def escalation_thread(escalation_id: int) -> str:
    """The thread's lines alone, for the page's refresh script."""
    thread = care_queue.escalation_thread(sessions(), escalation_id)
    if thread is None:
        abort(404, description=NOT_FOUND)
    return render_template("care/_thread.html", thread=thread)


@bp.get("/access-log")
def access_log() -> str | tuple[str, int]:
    """Who saw which escalation's number, and when (admins only)."""
    name = " ".join(request.args.get("name", "").split())[:64]
    raw_id = request.args.get("escalation", "").strip()
    escalation_id = int(raw_id) if raw_id.isdigit() and len(raw_id) < 10 else None
    try:
        entries = care_contact.access_entries(
            sessions(),
            current_staff_id(),
            limit=ACCESS_LOG_SHOWN,
            staff_name=name,
            escalation_id=escalation_id,
        )
    except ReachError:
        abort(403, description="Only admins can read the access log.")
    return render_template(
        "care/access_log.html",
        entries=entries,
        name=name,
        escalation_id=escalation_id,
        limit=ACCESS_LOG_SHOWN,
    )


@bp.get("/password")
def password_form() -> str:
    """The form to choose your own password."""
    member = current_member()
    if member is None:
        abort(404, description="Only staff accounts have a password to change here.")
    return render_template(
        "care/password.html",
        min_password=MIN_PASSWORD,
        member_must_change=member.temporary_password,
    )


@bp.post("/password")
def change_password() -> BaseResponse | tuple[str, int]:
    """Replace your password (a one-time one must be replaced before anything else)."""
    member = current_member()
    if member is None:
        abort(404, description="Only staff accounts have a password to change here.")
    current = request.form.get("current", "")
    new = request.form.get("new", "")
    account = staff_accounts.login_account(sessions(), member.name)
    error = ""
    if account is None or not password_matches(account.password_hash, current):
        error = "Your current password is wrong."
    elif len(new) < MIN_PASSWORD:
        error = f"Use at least {MIN_PASSWORD} characters."
    elif new != request.form.get("repeat", ""):
        error = "The two new passwords are not the same."
    elif new == current:
        error = "Choose a password that is not the one you have now."
    if error:
        html = render_template(
            "care/password.html",
            min_password=MIN_PASSWORD,
            member_must_change=member.temporary_password,
            error=error,
        )
        return html, 400
    staff_accounts.change_own_password(sessions(), member.id, hash_password(new), utcnow())
    log.info("staff %s changed their password", member.id)
    flash("Your password is changed.")
    return redirect(url_for("care.open_list"))
