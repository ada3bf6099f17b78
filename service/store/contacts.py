"""The `care_contacts` table (calls and texts made from an escalation's page): the one module
that writes it. A call's legs move forward by Twilio's status callbacks, never backwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.store.models import CareContact, Escalation
from service.vocabulary import CALL_STATUS_RANK, ContactKind, MessageStatus

CARE_CONTACTS = cast(sa.Table, CareContact.__table__)


def add(
    session: Session,
    *,
    escalation_id: int,
    staff_id: int,
    kind: ContactKind,
    now: dt.datetime,
    message_row_id: int | None = None,
) -> int:
    """Record a call or text the care team is making now; its id."""
    return int(
        session.execute(
            sa.insert(CARE_CONTACTS)
            .values(
                escalation_id=escalation_id,
                staff_id=staff_id,
                kind=kind,
                message_row_id=message_row_id,
                staff_call_status=MessageStatus.QUEUED if kind is ContactKind.CALL else None,
                created_at=now,
                updated_at=now,
            )
            .returning(CARE_CONTACTS.c.id)
        ).scalar_one()
    )


def get(session: Session, contact_id: int) -> CareContact | None:
    """One contact, or None."""
    return session.get(CareContact, contact_id)


def call_placed(session: Session, contact_id: int, call_sid: str, now: dt.datetime) -> None:
    """Twilio took the request to ring the staff member's phone: its CallSid."""
    session.execute(
        sa.update(CARE_CONTACTS)
        .where(CARE_CONTACTS.c.id == contact_id)
        .values(staff_call_sid=call_sid, updated_at=now)
    )


def call_not_placed(session: Session, contact_id: int, error: str, now: dt.datetime) -> None:
    """The request to ring the staff member's phone failed: why, in a few words."""
    session.execute(
        sa.update(CARE_CONTACTS)
        .where(CARE_CONTACTS.c.id == contact_id)
        .values(staff_call_status=MessageStatus.FAILED, error=error[:200], updated_at=now)
    )


def _rank(column: sa.Column[MessageStatus]) -> sa.Case[int]:
    """A leg's status as its rank, in SQL (NULL and unknown statuses rank 0)."""
    return sa.case(
        {str(key): value for key, value in CALL_STATUS_RANK.items()}, value=column, else_=0
    )


def advance_staff_leg(
    session: Session, contact_id: int, call_sid: str, status: MessageStatus, now: dt.datetime
) -> bool:
    """Move the staff member's leg forward to `status`, once; whether it moved.

    The CallSid must be the one Twilio gave when the call was placed (or fills it in, when the
    callback came before our record of the SID).
    """
    moved = session.execute(
        sa.update(CARE_CONTACTS)
        .where(
            CARE_CONTACTS.c.id == contact_id,
            CARE_CONTACTS.c.kind == ContactKind.CALL,
            sa.or_(
                CARE_CONTACTS.c.staff_call_sid == call_sid,
                CARE_CONTACTS.c.staff_call_sid.is_(None),
            ),
            _rank(CARE_CONTACTS.c.staff_call_status) < CALL_STATUS_RANK.get(status, 0),
        )
        .values(staff_call_sid=call_sid, staff_call_status=status, updated_at=now)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def advance_person_leg(
    session: Session,
    contact_id: int,
    call_sid: str,
    status: MessageStatus,
    duration_seconds: int | None,
    now: dt.datetime,
) -> bool:
    """Move the person's leg forward to `status` (with how long it lasted), once."""
    values: dict[str, object] = {
        "person_call_sid": call_sid,
        "person_call_status": status,
        "updated_at": now,
    }
    if duration_seconds is not None:
        values["duration_seconds"] = duration_seconds
    moved = session.execute(
        sa.update(CARE_CONTACTS)
        .where(
            CARE_CONTACTS.c.id == contact_id,
            CARE_CONTACTS.c.kind == ContactKind.CALL,
            sa.or_(
                CARE_CONTACTS.c.person_call_sid == call_sid,
                CARE_CONTACTS.c.person_call_sid.is_(None),
            ),
            _rank(CARE_CONTACTS.c.person_call_status) < CALL_STATUS_RANK.get(status, 0),
        )
        .values(values)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def for_escalation(session: Session, escalation_id: int) -> Sequence[CareContact]:
    """The calls and texts made from one escalation's page, oldest first."""
    return session.scalars(
        sa.select(CareContact)
        .where(CareContact.escalation_id == escalation_id)
        .order_by(CareContact.created_at, CareContact.id)
    ).all()


def first_contact_times(session: Session, since: dt.datetime) -> dict[int, dt.datetime]:
    """For escalations reported since `since`: when the first call or text was made."""
    rows = session.execute(
        sa.select(CareContact.escalation_id, sa.func.min(CareContact.created_at))
        .join(Escalation, Escalation.id == CareContact.escalation_id)
        .where(Escalation.created_at >= since)
        .group_by(CareContact.escalation_id)
    )
    return {escalation_id: first for escalation_id, first in rows}
