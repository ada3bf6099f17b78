"""The care page's login throttle: after a few wrong passwords from one address, logins from it
are refused for a while. The count lives in the database, so it holds across every web process
and survives restarts."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from service.store import login_failures
from service.store.db import Sessions, transaction

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)


def client_key(address: str) -> str:
    """What the table keeps of an address: a SHA-256, never the address itself."""
    return hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class LoginThrottle:
    """Refuses logins from an address after `max_failures` wrong passwords within `window`."""

    sessions: Sessions
    max_failures: int = MAX_FAILURES
    window: dt.timedelta = WINDOW

    def blocked(self, address: str, now: dt.datetime) -> bool:
        """Whether `address` has used up its tries for now."""
        with self.sessions() as session:
            recent = login_failures.recent_failures(session, client_key(address), now - self.window)
        return recent >= self.max_failures

    def failed(self, address: str, now: dt.datetime) -> None:
        """Count one wrong password from `address`."""
        with transaction(self.sessions) as session:
            login_failures.record_failure(session, client_key(address), now, now - self.window)

    def succeeded(self, address: str) -> None:
        """Forget `address`'s failures after a right password."""
        with transaction(self.sessions) as session:
            login_failures.forget(session, client_key(address))
