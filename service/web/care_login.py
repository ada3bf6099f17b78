"""Who may log in to the care team page: staff accounts in the database (nurses and admins,
`boneline staff add`), and, for looking only, CARE_TEAM_ACCOUNTS and the shared password (the
throttle is in `service.flows.staff_logins`, counted in the database)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from werkzeug.security import check_password_hash, generate_password_hash

from service.config import Settings
from service.flows import staff_accounts
from service.flows.care_queue import MAX_NAME, CareTeamConfigError
from service.store.db import Sessions
from service.vocabulary import StaffRole

# werkzeug's default (scrypt). Tests set a cheap one, as Django's test settings do, for speed.
HASH_METHOD = "scrypt"
# The shortest password a staff member may choose.
MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    """A salted, slow hash of a password."""
    return generate_password_hash(password, method=HASH_METHOD)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether a password is the one a hash was made from."""
    return check_password_hash(password_hash, password)


def parse_accounts(text: str) -> dict[str, str]:
    """CARE_TEAM_ACCOUNTS (`name:hash,name:hash`) as {name: hash}."""
    accounts: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        name, _, password_hash = entry.partition(":")
        name = name.strip()
        if not name or "$" not in password_hash or len(name) > MAX_NAME:
            raise CareTeamConfigError(
                "CARE_TEAM_ACCOUNTS must be name:hash pairs separated by commas "
                "(make a hash with `boneline care hash-password`)"
            )
        accounts[name.casefold()] = password_hash
    return accounts


@dataclass(frozen=True)
class LoggedIn:
    """Who logged in: the name to record, what they may do, and their account if they have one."""

    name: str
    role: StaffRole
    staff_id: int | None = None
    # A one-time password from `boneline staff add`: they choose their own before anything else.
    must_change_password: bool = False


@dataclass(frozen=True)
class StaffLogin:
    """Checks a name and password against the staff accounts (database first, then
    CARE_TEAM_ACCOUNTS) or the shared password."""

    accounts: dict[str, str]
    shared_password: str = field(default="", repr=False)
    # The database's staff accounts (None: only the settings' logins, as in unit tests).
    sessions: Sessions | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings, sessions: Sessions | None = None) -> StaffLogin:
        """Read the accounts (and the shared password, if any) from the settings."""
        return cls(
            parse_accounts(settings.CARE_TEAM_ACCOUNTS), settings.CARE_TEAM_PASSWORD, sessions
        )

    @property
    def enabled_by_settings(self) -> bool:
        """Whether the settings alone let anyone log in."""
        return bool(self.accounts or self.shared_password)

    @property
    def enabled(self) -> bool:
        """Whether anyone can log in at all (a staff account in the database counts)."""
        if self.enabled_by_settings:
            return True
        return self.sessions is not None and staff_accounts.any_accounts(self.sessions)

    @functools.cached_property
    def _shared_hash(self) -> str:
        """The shared password, hashed once in memory so it is checked like an account's."""
        return hash_password(self.shared_password)

    @functools.cached_property
    def _decoy_hash(self) -> str:
        """A hash to check against when the name is unknown, so timing does not tell."""
        return hash_password("not a real password")

    def check(self, name: str, password: str) -> LoggedIn | None:
        """Who this is when the password is right, else None."""
        name = " ".join(name.split())[:MAX_NAME]
        if not name or not password:
            return None
        if self.sessions is not None:
            account = staff_accounts.login_account(self.sessions, name)
            if account is not None:
                member = account.member
                if member.disabled:
                    password_matches(self._decoy_hash, password)
                    return None
                if not password_matches(account.password_hash, password):
                    return None
                return LoggedIn(member.name, member.role, member.id, member.temporary_password)
        account_hash = self.accounts.get(name.casefold())
        if account_hash is not None:
            matches = password_matches(account_hash, password)
            return LoggedIn(name, StaffRole.VIEWER) if matches else None
        if self.shared_password:
            if password_matches(self._shared_hash, password):
                return LoggedIn(name, StaffRole.VIEWER)
            return None
        password_matches(self._decoy_hash, password)
        return None
