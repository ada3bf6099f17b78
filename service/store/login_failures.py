"""The `login_failures` table (the care page's login throttle): the one module that writes it.

Every web process counts the same rows, so two workers allow no more guesses than one, and a
restart forgets nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.store.models import LoginFailure

LOGIN_FAILURES = cast(sa.Table, LoginFailure.__table__)


def recent_failures(connection: sa.Connection | Session, client: str, since: dt.datetime) -> int:
    """How many wrong passwords came from `client` since `since`."""
    return int(
        connection.execute(
            sa.select(sa.func.count())
            .select_from(LOGIN_FAILURES)
            .where(LOGIN_FAILURES.c.client == client, LOGIN_FAILURES.c.failed_at >= since)
        ).scalar_one()
    )


def record_failure(
    connection: sa.Connection | Session, client: str, now: dt.datetime, forget_before: dt.datetime
) -> None:
    """Count one wrong password from `client`, and forget failures too old to matter."""
    connection.execute(sa.delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.failed_at < forget_before))
    connection.execute(sa.insert(LOGIN_FAILURES).values(client=client, failed_at=now))


def forget(connection: sa.Connection | Session, client: str) -> None:
    """Forget `client`'s failures (after a right password)."""
    connection.execute(sa.delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.client == client))
