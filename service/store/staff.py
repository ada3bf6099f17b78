"""The `staff_accounts` table (care-team logins): the one module that writes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.store.models import StaffAccount
from service.vocabulary import StaffRole

STAFF = cast(sa.Table, StaffAccount.__table__)
MAX_NAME = 64


def name_key(name: str) -> str:
    """How logins match a name: spacing and case do not count."""
    return " ".join(name.split()).casefold()


def add(
    session: Session,
    *,
    name: str,
    role: StaffRole,
    phone: str | None,
    password_hash: str,
    temporary: bool,
    now: dt.datetime,
) -> int:
    """A new account; a name already taken raises (the database's unique key says so)."""
    return int(
        session.execute(
            sa.insert(STAFF)
            .values(
                name=name,
                name_key=name_key(name),
                role=role,
                phone=phone,
                password_hash=password_hash,
                password_temporary=temporary,
                created_at=now,
                updated_at=now,
            )
            .returning(STAFF.c.id)
        ).scalar_one()
    )


def get(session: Session, staff_id: int) -> StaffAccount | None:
    """One account by id, or None."""
    return session.get(StaffAccount, staff_id)


def find_by_name(session: Session, name: str) -> StaffAccount | None:
    """The account with this name (spacing and case ignored), disabled or not."""
    return session.scalar(sa.select(StaffAccount).where(StaffAccount.name_key == name_key(name)))


def all_accounts(session: Session) -> Sequence[StaffAccount]:
    """Every account, by name."""
    return session.scalars(sa.select(StaffAccount).order_by(StaffAccount.name_key)).all()


def any_enabled(session: Session) -> bool:
    """Whether anyone has an account that can log in."""
    return (
        session.scalar(sa.select(STAFF.c.id).where(STAFF.c.disabled_at.is_(None)).limit(1))
        is not None
    )


def disable(session: Session, name: str, now: dt.datetime) -> bool | None:
    """Stop an account logging in; None if there is no such name, False if already disabled."""
    account = find_by_name(session, name)
    if account is None:
        return None
    changed = session.execute(
        sa.update(STAFF)
        .where(STAFF.c.id == account.id, STAFF.c.disabled_at.is_(None))
        .values(disabled_at=now, updated_at=now)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


def set_password(
    session: Session, staff_id: int, password_hash: str, temporary: bool, now: dt.datetime
) -> None:
    """A new password hash (temporary: to be changed at the next login)."""
    session.execute(
        sa.update(STAFF)
        .where(STAFF.c.id == staff_id)
        .values(password_hash=password_hash, password_temporary=temporary, updated_at=now)
    )


def set_phone(session: Session, staff_id: int, phone: str | None, now: dt.datetime) -> None:
    """Where "Call now" rings for this person."""
    session.execute(
        sa.update(STAFF).where(STAFF.c.id == staff_id).values(phone=phone, updated_at=now)
    )


def note_login(session: Session, staff_id: int, now: dt.datetime) -> None:
    """When the account last logged in."""
    session.execute(sa.update(STAFF).where(STAFF.c.id == staff_id).values(last_login_at=now))
