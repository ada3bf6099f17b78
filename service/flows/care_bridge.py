"""The care team's bridge call, as Twilio drives it: what the staff member hears when they
answer, dialing the person once they press 1, what the person hears, and each leg's status.

Every step finds its call by the contact id in its (signed) URL and checks the CallSid, so a
webhook for one call can never dial the person of another.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging

from service.domain import bridge
from service.domain.bridge import BridgeStep, BridgeUrls
from service.store import contacts, escalations
from service.store.db import DbSession, Sessions, transaction
from service.store.models import Escalation
from service.vocabulary import CALL_STATUS_RANK, ContactKind, MessageStatus

log = logging.getLogger(__name__)


class Leg(enum.StrEnum):
    """Which side of a bridge call a status callback is about."""

    STAFF = "staff"
    PERSON = "person"


def _call_of(session: DbSession, contact_id: int, call_sid: str) -> Escalation | None:
    """The escalation a bridge call is for, if this CallSid is that call's staff leg."""
    contact = contacts.get(session, contact_id)
    if contact is None or contact.kind is not ContactKind.CALL:
        return None
    if contact.staff_call_sid not in (None, call_sid):
        return None
    escalation = escalations.get(session, contact.escalation_id)
    if escalation is None or not escalation.phone:
        return None
    return escalation


def answered(
    sessions: Sessions, contact_id: int, call_sid: str, public_base_url: str
) -> BridgeStep:
    """The staff member picked up: ask them to press 1 (or say the call cannot go through)."""
    with sessions() as session:
        escalation = _call_of(session, contact_id, call_sid)
    if escalation is None:
        log.warning("care call %s: answered, but it cannot be connected", contact_id)
        return bridge.unavailable()
    return bridge.ask_to_connect(BridgeUrls(public_base_url, contact_id))


def connect(
    sessions: Sessions,
    contact_id: int,
    call_sid: str,
    digits: str,
    tries: int,
    *,
    public_base_url: str,
    caller_id: str,
) -> BridgeStep:
    """The staff member's key: 1 dials the person with the program's number as caller ID."""
    with sessions() as session:
        escalation = _call_of(session, contact_id, call_sid)
    if escalation is None:
        return bridge.unavailable()
    urls = BridgeUrls(public_base_url, contact_id)
    step = bridge.connect(urls, digits, tries, escalation.phone, caller_id)
    if step.dial is not None:
        log.info("care call %s: dialing the person for escalation %s", contact_id, escalation.id)
    return step


def after_dial(dial_status: str) -> BridgeStep:
    """Tell the staff member how the dial to the person ended."""
    return bridge.after_dial(dial_status)


def whisper(sessions: Sessions, contact_id: int) -> BridgeStep:
    """What the person hears on answering, in their language."""
    with sessions() as session:
        contact = contacts.get(session, contact_id)
        escalation = escalations.get(session, contact.escalation_id) if contact else None
    return bridge.whisper(escalation.language if escalation else bridge.STAFF_LANGUAGE)


def record_status(
    sessions: Sessions,
    contact_id: int,
    leg: Leg,
    call_sid: str,
    status: str,
    duration_seconds: int | None,
    now: dt.datetime,
) -> bool:
    """Record one leg's status once, never backwards; False for a repeat or an unknown status."""
    try:
        known = MessageStatus(status)
    except ValueError:
        return False
    if known not in CALL_STATUS_RANK:
        return False
    with transaction(sessions) as session:
        if leg is Leg.STAFF:
            moved = contacts.advance_staff_leg(session, contact_id, call_sid, known, now)
        else:
            moved = contacts.advance_person_leg(
                session, contact_id, call_sid, known, duration_seconds, now
            )
    if moved and CALL_STATUS_RANK[known] == max(CALL_STATUS_RANK.values()):
        log.info(
            "care call %s: %s leg %s%s",
            contact_id,
            leg.value,
            known.value,
            f" after {duration_seconds} s" if duration_seconds is not None else "",
        )
    return moved
