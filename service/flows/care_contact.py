"""The care team reaches a person from an escalation's page: show the number (with a trace),
call through the clinic's line, or text from the program's number.

Only staff with their own account (a nurse or an admin) may do any of it; the shared demo
password may look, not reach. A call or a text is recorded before its REST request and its
outcome after, in a second short transaction (as the scheduler sends): no database lock is held
while Twilio answers, and a crash in between leaves a row housekeeping understands.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass

from service.domain.bridge import BridgeUrls
from service.domain.phones import mask
from service.gateway.sender import CareSender, SendError
from service.store import access_log, consent, contacts, escalations, messages, staff, subscribers
from service.store.access_log import AccessRow
from service.store.db import DbSession, Sessions, transaction
from service.store.models import Escalation, StaffAccount
from service.vocabulary import (
    ConsentChannel,
    ContactKind,
    MessageStatus,
    SendFailure,
    StaffRole,
)
from service.words.normalize import storable
from service.words.segments import count_segments, sms_form
from service.words.texts import Texts

log = logging.getLogger(__name__)

# Who may show a number, call or text (the shared demo password may not).
REACHING_ROLES = frozenset({StaffRole.NURSE, StaffRole.ADMIN})
# A text from the page is at most this many SMS segments, the "from" line included.
MAX_TEXT_SEGMENTS = 2
FROM_LINE = "care.text_from"


class Refusal(enum.Enum):
    """Why a reveal, call or text did not happen (the page says what to do about each)."""

    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    ERASED = "erased"
    HANDLED = "handled"
    NO_STAFF_PHONE = "no_staff_phone"
    NO_CALLER_ID = "no_caller_id"
    OPTED_OUT = "opted_out"
    EMPTY = "empty"
    TOO_LONG = "too_long"


class ReachError(Exception):
    """A reveal, call or text that was refused before anything happened."""

    def __init__(self, refusal: Refusal, detail: str = "") -> None:
        self.refusal = refusal
        self.detail = detail
        super().__init__(refusal.value)


def _reacher(session: DbSession, staff_id: int | None) -> StaffAccount:
    """The staff member, if their account may reach people; else ReachError."""
    account = staff.get(session, staff_id) if staff_id is not None else None
    if account is None or account.disabled_at is not None or account.role not in REACHING_ROLES:
        raise ReachError(Refusal.NOT_ALLOWED)
    return account


def _reachable(session: DbSession, escalation_id: int, *, open_only: bool) -> Escalation:
    """The escalation, if its person can still be reached from the page; else ReachError."""
    escalation = escalations.get(session, escalation_id)
    if escalation is None:
        raise ReachError(Refusal.NOT_FOUND)
    if not escalation.phone:
        raise ReachError(Refusal.ERASED)
    if open_only and escalation.handled_at is not None:
        raise ReachError(Refusal.HANDLED)
    return escalation


# --- Show number ------------------------------------------------------------------------------


def reveal_number(
    sessions: Sessions, escalation_id: int, staff_id: int | None, now: dt.datetime
) -> str:
    """The escalation's full number, recorded in the access log as seen by this staff member."""
    with transaction(sessions) as session:
        account = _reacher(session, staff_id)
        escalation = _reachable(session, escalation_id, open_only=False)
        access_log.record(session, account.id, escalation.id, now)
        log.info("staff %s saw the number of escalation %s", account.id, escalation.id)
        return escalation.phone


def access_entries(
    sessions: Sessions,
    staff_id: int | None,
    *,
    limit: int,
    staff_name: str = "",
    escalation_id: int | None = None,
) -> list[AccessRow]:
    """The access log, newest first; only an admin may read it."""
    with sessions() as session:
        account = staff.get(session, staff_id) if staff_id is not None else None
        if account is None or account.disabled_at is not None or account.role != StaffRole.ADMIN:
            raise ReachError(Refusal.NOT_ALLOWED)
        return access_log.entries(
            session,
            limit=limit,
            staff_name_key=staff.name_key(staff_name) if staff_name else "",
            escalation_id=escalation_id,
        )


# --- Call now ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedCall:
    """A bridge call Twilio took: which contact row, and the staff phone it rings."""

    contact_id: int
    staff_phone: str
    call_sid: str


def start_call(
    sessions: Sessions,
    sender: CareSender,
    escalation_id: int,
    staff_id: int | None,
    *,
    public_base_url: str,
    caller_id: str,
    now: dt.datetime,
) -> PlacedCall:
    """Ring the staff member's phone; once they press 1 the bridge dials the person.

    Raises ReachError when the call may not be made, SendError when Twilio did not take it
    (recorded on the escalation either way).
    """
    if not caller_id:
        raise ReachError(Refusal.NO_CALLER_ID)
    with transaction(sessions) as session:
        account = _reacher(session, staff_id)
        if not account.phone:
            raise ReachError(Refusal.NO_STAFF_PHONE)
        escalation = _reachable(session, escalation_id, open_only=True)
        contact_id = contacts.add(
            session,
            escalation_id=escalation.id,
            staff_id=account.id,
            kind=ContactKind.CALL,
            now=now,
        )
        staff_phone = account.phone
    urls = BridgeUrls(public_base_url, contact_id)
    try:
        sid = sender.place_bridge_call(staff_phone, urls.answered, urls.status("staff"))
    except SendError as error:
        with transaction(sessions) as session:
            contacts.call_not_placed(session, contact_id, error.cause, now)
        log.warning(
            "care call %s for escalation %s to staff phone %s not placed: %s",
            contact_id,
            escalation_id,
            mask(staff_phone),
            error.cause,
        )
        raise
    with transaction(sessions) as session:
        contacts.call_placed(session, contact_id, sid, now)
    log.info(
        "care call %s for escalation %s: ringing staff phone %s as %s",
        contact_id,
        escalation_id,
        mask(staff_phone),
        sid,
    )
    return PlacedCall(contact_id, staff_phone, sid)


# --- Send a text ------------------------------------------------------------------------------


class TextResult(enum.Enum):
    """How a text from the page went."""

    SENT = "sent"  # Twilio took it now
    QUEUED = "queued"  # Twilio could not be reached: the next send pass sends it
    FAILED = "failed"  # Twilio refused it
    UNKNOWN = "unknown"  # it may have gone: never sent again


@dataclass(frozen=True)
class CareText:
    """What a text from the page will say, as sent, and its size."""

    body: str
    segments: int
    encoding: str


def compose_text(texts: Texts, words: str, language: str) -> CareText:
    """The nurse's words after the line that says who they are from, in the person's language,
    in the form that is sent; ReachError when empty or over the segment budget."""
    words = " ".join(storable(words).split())
    if not words:
        raise ReachError(Refusal.EMPTY)
    body = sms_form(f"{texts.render(FROM_LINE, language)} {words}")
    count = count_segments(body)
    if count.segments > MAX_TEXT_SEGMENTS:
        raise ReachError(Refusal.TOO_LONG, f"{count.segments} {count.encoding}")
    return CareText(body, count.segments, count.encoding)


def send_text(
    sessions: Sessions,
    sender: CareSender,
    texts: Texts,
    escalation_id: int,
    staff_id: int | None,
    words: str,
    now: dt.datetime,
) -> TextResult:
    """Text the person from the program's number, logged in their message history.

    Sent now; if Twilio cannot be reached it waits in the outbox for the next send pass.
    Raises ReachError when it may not be sent (STOP, too long, not allowed).
    """
    with transaction(sessions) as session:
        account = _reacher(session, staff_id)
        escalation = _reachable(session, escalation_id, open_only=True)
        if consent.opted_out(session, escalation.phone):
            raise ReachError(Refusal.OPTED_OUT)
        text = compose_text(texts, words, escalation.language)
        phone = escalation.phone
        person = subscribers.find_by_phone(session, phone)
        subscriber_id = person.id if person is not None else None
        row_id = messages.log_care_text(session, subscriber_id, phone, text.body, now)
        contacts.add(
            session,
            escalation_id=escalation.id,
            staff_id=account.id,
            kind=ContactKind.TEXT,
            now=now,
            message_row_id=row_id,
        )
    try:
        sid: str | None = sender.send_sms(phone, text.body)
        error: SendError | None = None
    except SendError as failure:
        sid, error = None, failure
    with transaction(sessions) as session:
        result = _record_text(session, row_id, phone, escalation.language, sid, error, now)
    log.info(
        "care text (message %s) for escalation %s to %s: %s%s",
        row_id,
        escalation_id,
        mask(phone),
        result.value,
        f" ({error.cause})" if error else "",
    )
    return result


def _record_text(
    session: DbSession,
    row_id: int,
    phone: str,
    language: str,
    sid: str | None,
    error: SendError | None,
    now: dt.datetime,
) -> TextResult:
    """Write how the send went; a STOP at the carrier or a bad number changes the person too."""
    if error is None:
        messages.record_outbox_outcome(session, row_id, sid, None, None, now)
        return TextResult.SENT
    if error.failure is SendFailure.RETRY:
        messages.return_to_outbox(session, row_id, now)
        return TextResult.QUEUED
    status = messages.record_outbox_outcome(
        session, row_id, None, error.failure, error.code, now, error.cause
    )
    person = subscribers.find_by_phone(session, phone)
    if error.failure is SendFailure.OPTED_OUT and not consent.opted_out(session, phone):
        # The person replied STOP to the carrier: record it, so the page refuses the next text.
        consent.record_opt_out(
            session,
            person.id if person is not None else None,
            phone,
            channel=ConsentChannel.CARRIER,
            disclosure_id="carrier.21610",
            disclosure_version="",
            language=person.language if person is not None else language,
            evidence=f"Twilio error {error.code}",
            now=now,
        )
    elif person is not None and error.failure is SendFailure.INVALID_NUMBER:
        subscribers.mark_number_invalid(session, person.id, error.code, now)
    return TextResult.UNKNOWN if status is MessageStatus.UNKNOWN else TextResult.FAILED
