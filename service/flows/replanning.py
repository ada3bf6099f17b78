"""Planned messages that no longer fit a person after a change: cancelled, or moved to the new
channel or part of the day, inside the transaction of the flow that made the change.

Not a flow of its own: the text and call flows call it with their connection.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.domain.life import Reach, Refit, refit, window_part
from service.domain.send_windows import send_time
from service.store import planned


def reach_of(person: Any) -> Reach:
    """What decides which planned messages fit: from a subscriber row or a conversation profile."""
    return Reach(
        status=person.status,
        stage=person.stage,
        due_date=person.due_date,
        birth_date=person.birth_date,
        channel=person.channel,
        day_part=person.day_part,
        loss_on=person.loss_on,
    )


def refit_planned(
    connection: Any,
    subscriber_id: int,
    time_zone: str,
    before: Reach,
    after: Reach,
    now: dt.datetime,
) -> None:
    """Cancel what no longer fits, or move it to the new channel or part of the day."""
    moves = refit(before, after)
    if Refit.CANCEL in moves:
        planned.cancel_for_person(connection, subscriber_id, now)
        return
    if not moves:
        return

    def retimed(start: dt.datetime, end: dt.datetime, day: dt.date) -> dt.datetime:
        """The send time inside the new part of that day's window."""
        return send_time(
            subscriber_id, day, window_part((start, end), time_zone, day, after.day_part)
        )

    planned.replan_for_person(
        connection,
        subscriber_id,
        now,
        channel=after.channel if Refit.CHANNEL in moves else None,
        window=retimed if Refit.RETIME in moves else None,
    )
