"""Care-team accounts kept in the database: add, disable, list, change a password or a phone,
and what a login needs. Passwords arrive here already hashed (the web room and the command
line hash them with werkzeug); this flow never sees one in the clear."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from service.domain.phones import InvalidPhoneNumber, to_e164
from service.store import staff
from service.store.db import DbSession, DuplicateError, Sessions, transaction
from service.store.models import StaffAccount
from service.store.staff import MAX_NAME
from service.vocabulary import StaffRole

# The roles an account in the database can have (VIEWER is the shared password's).
ACCOUNT_ROLES = (StaffRole.NURSE, StaffRole.ADMIN)


class StaffError(ValueError):
    """A staff account change that cannot be made as asked (the message says why)."""


@dataclass(frozen=True)
class StaffMember:
    """What the page and the command line know of an account (never its password hash)."""

    id: int
    name: str
    role: StaffRole
    phone: str | None
    temporary_password: bool
    disabled: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None

    @property
    def may_reach(self) -> bool:
        """Whether this person may show numbers, call and text."""
        return not self.disabled and self.role in ACCOUNT_ROLES


@dataclass(frozen=True)
class LoginAccount:
    """An account as a login checks it."""

    member: StaffMember
    password_hash: str


def _member(account: StaffAccount) -> StaffMember:
    """The account without its hash."""
    return StaffMember(
        id=account.id,
        name=account.name,
        role=account.role,
        phone=account.phone,
        temporary_password=account.password_temporary,
        disabled=account.disabled_at is not None,
        created_at=account.created_at,
        last_login_at=account.last_login_at,
    )


def clean_name(name: str) -> str:
    """A name as it is kept: single spaces, no control characters, at most 64 characters."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise StaffError("a name is needed")
    if len(cleaned) > MAX_NAME:
        raise StaffError(f"a name has at most {MAX_NAME} characters")
    if any(unicodedata.category(char).startswith("C") for char in cleaned):
        raise StaffError("a name cannot contain control characters")
    return cleaned


def clean_phone(phone: str | None, region: str) -> str | None:
    """The staff member's phone in E.164, or None."""
    if not phone:
        return None
    try:
        return to_e164(phone, region)
    except InvalidPhoneNumber as error:
        raise StaffError(f"not a phone number: {phone}") from error


def add_member(
    sessions: Sessions,
    name: str,
    role: StaffRole,
    phone: str | None,
    password_hash: str,
    *,
    temporary: bool,
    region: str,
    now: dt.datetime,
) -> StaffMember:
    """A new nurse or admin; StaffError when the name is taken or a value is unusable."""
    if role not in ACCOUNT_ROLES:
        raise StaffError("the role is nurse or admin")
    name = clean_name(name)
    e164 = clean_phone(phone, region)
    try:
        with transaction(sessions) as session:
            if staff.find_by_name(session, name) is not None:
                raise StaffError(f"there is already an account named {name}")
            staff_id = staff.add(
                session,
                name=name,
                role=role,
                phone=e164,
                password_hash=password_hash,
                temporary=temporary,
                now=now,
            )
            account = staff.get(session, staff_id)
            assert account is not None
            return _member(account)
    except DuplicateError as error:
        raise StaffError(f"there is already an account named {name}") from error


def _named(session: DbSession, name: str) -> StaffAccount:
    """The named account; StaffError when there is none."""
    account = staff.find_by_name(session, name)
    if account is None:
        raise StaffError(f"there is no account named {' '.join(name.split())}")
    return account


def disable_member(sessions: Sessions, name: str, now: dt.datetime) -> bool:
    """Stop an account logging in (at once, even mid-session); False if it already was."""
    with transaction(sessions) as session:
        done = staff.disable(session, name, now)
    if done is None:
        raise StaffError(f"there is no account named {' '.join(name.split())}")
    return done


def set_phone(
    sessions: Sessions, name: str, phone: str | None, *, region: str, now: dt.datetime
) -> StaffMember:
    """Set (or clear) where "Call now" rings for this person."""
    e164 = clean_phone(phone, region)
    with transaction(sessions) as session:
        account = _named(session, name)
        staff.set_phone(session, account.id, e164, now)
        session.refresh(account)
        return _member(account)


def set_password(
    sessions: Sessions, name: str, password_hash: str, *, temporary: bool, now: dt.datetime
) -> StaffMember:
    """A new password for the named account (temporary: changed at the next login)."""
    with transaction(sessions) as session:
        account = _named(session, name)
        staff.set_password(session, account.id, password_hash, temporary, now)
        session.refresh(account)
        return _member(account)


def change_own_password(
    sessions: Sessions, staff_id: int, password_hash: str, now: dt.datetime
) -> None:
    """A staff member's own new password (no longer temporary)."""
    with transaction(sessions) as session:
        staff.set_password(session, staff_id, password_hash, False, now)


def members(sessions: Sessions) -> Sequence[StaffMember]:
    """Every account, by name."""
    with sessions() as session:
        return [_member(account) for account in staff.all_accounts(session)]


def member(sessions: Sessions, staff_id: int) -> StaffMember | None:
    """One account, disabled or not; None when it does not exist."""
    with sessions() as session:
        account = staff.get(session, staff_id)
        return _member(account) if account is not None else None


def login_account(sessions: Sessions, name: str) -> LoginAccount | None:
    """The account a login names (disabled ones too: they must not fall back to the shared
    password), with its hash; None when there is no such account."""
    with sessions() as session:
        account = staff.find_by_name(session, name)
        if account is None:
            return None
        return LoginAccount(_member(account), account.password_hash)


def note_login(sessions: Sessions, staff_id: int, now: dt.datetime) -> None:
    """Remember when the account last logged in."""
    with transaction(sessions) as session:
        staff.note_login(session, staff_id, now)


def any_accounts(sessions: Sessions) -> bool:
    """Whether any account can log in (then the care page is on)."""
    with sessions() as session:
        return staff.any_enabled(session)
