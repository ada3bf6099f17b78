"""Who may log in to the care team page: staff accounts and the shared password (the throttle
is in `service.flows.staff_logins`, counted in the database)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from werkzeug.security import check_password_hash, generate_password_hash

from service.config import Settings
from service.flows.care_queue import MAX_NAME, CareTeamConfigError

# werkzeug's default (scrypt). Tests set a cheap one, as Django's test settings do, for speed.
HASH_METHOD = "scrypt"


def hash_password(password: str) -> str:
    """A salted, slow hash of a password."""
    return generate_password_hash(password, method=HASH_METHOD)


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
class StaffLogin:
    """Checks a name and password against the staff accounts or the shared password."""

    accounts: dict[str, str]
    shared_password: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> StaffLogin:
        """Read the accounts (and the shared password, if any) from the settings."""
        return cls(parse_accounts(settings.CARE_TEAM_ACCOUNTS), settings.CARE_TEAM_PASSWORD)

    @property
    def enabled(self) -> bool:
        """Whether anyone can log in at all."""
        return bool(self.accounts or self.shared_password)

    @functools.cached_property
    def _shared_hash(self) -> str:
        """The shared password, hashed once in memory so it is checked like an account's."""
        return hash_password(self.shared_password)

    @functools.cached_property
    def _decoy_hash(self) -> str:
        """A hash to check against when the name is unknown, so timing does not tell."""
        return hash_password("not a real password")

    def check(self, name: str, password: str) -> str | None:
        """The name to record for this person when the password is right, else None."""
        name = " ".join(name.split())[:MAX_NAME]
        if not name or not password:
            return None
        account_hash = self.accounts.get(name.casefold())
        if account_hash is not None:
            return name if check_password_hash(account_hash, password) else None
        if self.shared_password:
            return name if check_password_hash(self._shared_hash, password) else None
        check_password_hash(self._decoy_hash, password)
        return None
