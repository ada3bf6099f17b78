"""The `access_log` table (who saw which escalation's number, and when): the one module that
writes it. It holds ids and times only: never a number, never words a person wrote."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.store.models import AccessEntry, Escalation, StaffAccount

ACCESS_LOG = cast(sa.Table, AccessEntry.__table__)


def record(session: Session, staff_id: int, escalation_id: int, now: dt.datetime) -> None:
    """One entry: this staff member saw this escalation's number now."""
    session.execute(
        sa.insert(ACCESS_LOG).values(staff_id=staff_id, escalation_id=escalation_id, seen_at=now)
    )


@dataclass(frozen=True)
class AccessRow:
    """One access-log entry as the admin's list shows it."""

    seen_at: dt.datetime
    staff_name: str
    staff_role: str
    escalation_id: int
    reason: str


def entries(
    session: Session, *, limit: int, staff_name_key: str = "", escalation_id: int | None = None
) -> list[AccessRow]:
    """The latest entries first, optionally for one staff member or one escalation."""
    query = (
        sa.select(
            AccessEntry.seen_at,
            StaffAccount.name,
            StaffAccount.role,
            AccessEntry.escalation_id,
            Escalation.reason,
        )
        .join(StaffAccount, StaffAccount.id == AccessEntry.staff_id)
        .join(Escalation, Escalation.id == AccessEntry.escalation_id)
    )
    if staff_name_key:
        query = query.where(StaffAccount.name_key == staff_name_key)
    if escalation_id is not None:
        query = query.where(AccessEntry.escalation_id == escalation_id)
    query = query.order_by(AccessEntry.seen_at.desc(), AccessEntry.id.desc()).limit(limit)
    return [
        AccessRow(seen_at, name, str(role), escalation, reason)
        for seen_at, name, role, escalation, reason in session.execute(query)
    ]
