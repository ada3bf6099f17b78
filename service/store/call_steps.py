"""Call steps already recorded (`call_steps`): the one module that writes them.

Twilio retries a call webhook it got no answer to; the step's key (a hash of its path, query and
answer, never a number or words) makes its effects happen once.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.store.models import CallStep

CALL_STEPS = cast(sa.Table, CallStep.__table__)


def step_recorded(session: Session, call_sid: str, step_key: str) -> bool:
    """Whether this step of this call already had its effects recorded."""
    found = session.scalar(
        sa.select(CALL_STEPS.c.id).where(
            CALL_STEPS.c.call_sid == call_sid, CALL_STEPS.c.step == step_key
        )
    )
    return found is not None


def record_step(session: Session, call_sid: str, step_key: str, now: dt.datetime) -> None:
    """Claim this step of the call (a racing retry's insert then fails as a duplicate)."""
    session.execute(sa.insert(CALL_STEPS).values(call_sid=call_sid, step=step_key, created_at=now))
