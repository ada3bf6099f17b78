"""The care team's queue: open red flags, handling them, searching the handled ones, and the
program at a glance. Each function is one short transaction; the /care views stay thin."""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.config import Settings
from service.domain.vocabulary import MessageStatus
from service.store import escalations, reports
from service.store.db import Sessions, transaction
from service.store.escalations import MAX_NAME, MAX_NOTE
from service.store.models import Escalation

__all__ = ["MAX_NAME", "MAX_NOTE"]

WEEKS_SHOWN = 12
HANDLED_SHOWN = 200

# Delivery statuses from Twilio's status callbacks, and ours before a text has gone.
DELIVERED = frozenset({MessageStatus.DELIVERED, MessageStatus.READ})
FAILED = frozenset({MessageStatus.FAILED, MessageStatus.UNDELIVERED})
NOT_SENT = frozenset(
    {
        MessageStatus.QUEUED,
        MessageStatus.ACCEPTED,
        MessageStatus.SCHEDULED,
        MessageStatus.CANCELED,
        MessageStatus.RECEIVED,
        MessageStatus.WAITING,
        MessageStatus.CLAIMED,
        MessageStatus.SUBMITTED,
    }
)


class CareTeamConfigError(ValueError):
    """A care team setting cannot be used as given."""


def clinic_zone(settings: Settings) -> ZoneInfo:
    """The clinic's time zone; a clear error at start-up when the name is unknown."""
    try:
        return ZoneInfo(settings.CLINIC_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise CareTeamConfigError(
            f"CLINIC_TIME_ZONE {settings.CLINIC_TIME_ZONE!r} is not an IANA time zone name"
        ) from error


def open_escalations(sessions: Sessions) -> Sequence[Escalation]:
    """Escalations nobody has handled yet, newest first."""
    with sessions() as session:
        return escalations.open_escalations(session)


def escalation(sessions: Sessions, escalation_id: int) -> Escalation | None:
    """One escalation, or None."""
    with sessions() as session:
        return escalations.get(session, escalation_id)


@dataclass(frozen=True)
class HandledSearch:
    """What the care team searches handled escalations by; empty fields match everything."""

    last4: str = ""
    words: str = ""
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def is_empty(self) -> bool:
        """Whether nothing was asked for."""
        return not (self.last4 or self.words or self.start or self.end)


def handled_escalations(
    sessions: Sessions, search: HandledSearch, zone: ZoneInfo, limit: int = HANDLED_SHOWN
) -> Sequence[Escalation]:
    """Handled escalations matching the search, most recently handled first."""
    since = utc_start_of(search.start, zone) if search.start else None
    before = utc_start_of(search.end + dt.timedelta(days=1), zone) if search.end else None
    with sessions() as session:
        return escalations.handled_escalations(
            session, last4=search.last4, words=search.words, since=since, before=before, limit=limit
        )


def utc_start_of(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Midnight of a clinic-local day, as naive UTC (how the database stores times)."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def local_time(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A stored naive-UTC time in the clinic's time zone."""
    return moment.replace(tzinfo=dt.UTC).astimezone(zone)


class HandleResult(enum.Enum):
    """What happened when someone marked an escalation handled."""

    HANDLED = "handled"
    ALREADY_HANDLED = "already_handled"
    NOT_FOUND = "not_found"


def mark_handled(
    sessions: Sessions, escalation_id: int, handled_by: str, note: str, now: dt.datetime
) -> HandleResult:
    """Record who handled an escalation, when, and their note; the first one to do it wins."""
    with transaction(sessions) as session:
        handled = escalations.mark_handled(session, escalation_id, handled_by, note, now)
    if handled is None:
        return HandleResult.NOT_FOUND
    return HandleResult.HANDLED if handled else HandleResult.ALREADY_HANDLED


@dataclass(frozen=True)
class WeekCounts:
    """One week's outbound messages and opt-outs."""

    week_start: dt.date
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    opt_outs: int = 0


@dataclass(frozen=True)
class ProgramOverview:
    """The program at a glance."""

    active_by_stage: dict[str, int]
    active_by_language: dict[str, int]
    active_by_channel: dict[str, int]
    by_status: dict[str, int]
    weeks: list[WeekCounts]

    @property
    def any_sent(self) -> bool:
        """Whether any text was sent in the weeks shown."""
        return any(week.sent for week in self.weeks)

    @property
    def busiest_week(self) -> int:
        """The most messages sent in any week shown (at least 1, to scale the chart)."""
        return max([week.sent for week in self.weeks] + [1])


def program_overview(
    sessions: Sessions, zone: ZoneInfo, now: dt.datetime, weeks: int = WEEKS_SHOWN
) -> ProgramOverview:
    """Subscribers by stage, language and channel; messages and opt-outs for recent weeks."""
    this_week = week_start(local_time(now, zone).date())
    first_week = this_week - dt.timedelta(weeks=weeks - 1)
    since = utc_start_of(first_week, zone)
    with sessions() as session:
        outbound = reports.outbound_statuses_since(session, since)
        opt_out_times = reports.opt_outs_since(session, since)
        counts = reports.subscriber_counts(session)

    sent: Counter[dt.date] = Counter()
    delivered: Counter[dt.date] = Counter()
    failed: Counter[dt.date] = Counter()
    for created_at, status in outbound:
        if status in NOT_SENT:
            continue
        week = week_start(local_time(created_at, zone).date())
        sent[week] += 1
        delivered[week] += status in DELIVERED
        failed[week] += status in FAILED
    opt_outs: Counter[dt.date] = Counter(
        week_start(local_time(moment, zone).date()) for moment in opt_out_times
    )
    week_list = [
        WeekCounts(start, sent[start], delivered[start], failed[start], opt_outs[start])
        for start in (first_week + dt.timedelta(weeks=n) for n in range(weeks))
    ]
    return ProgramOverview(
        active_by_stage=counts.active_by_stage,
        active_by_language=counts.active_by_language,
        active_by_channel=counts.active_by_channel,
        by_status=counts.by_status,
        weeks=week_list,
    )


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week a day falls in."""
    return day - dt.timedelta(days=day.weekday())
