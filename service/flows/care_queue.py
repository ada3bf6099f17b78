"""The care team's queue: open red flags, handling them, searching the handled ones, and the
program at a glance. Each function is one short transaction; the /care views stay thin."""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.config import Settings
from service.domain.bridge import call_outcome
from service.domain.figures import median, percentile_90
from service.store import consent, contacts, escalations, messages, reports
from service.store.db import DbSession, Sessions, transaction
from service.store.escalations import MAX_NAME, MAX_NOTE
from service.store.models import CareContact, Escalation, Message
from service.vocabulary import CallOutcome, ContactKind, Direction, MessageStatus

__all__ = ["MAX_NAME", "MAX_NOTE"]

WEEKS_SHOWN = 12
HANDLED_SHOWN = 200
# The most texts an escalation's thread shows (the latest ones).
THREAD_SHOWN = 200
# The figures count a check-in answered when its YES/1 or NO/2 came within this long. The
# conversation takes a later answer too (the check-in waits until answered or replaced); the
# figure measures how quickly people answer.
CHECKIN_ANSWER_WINDOW = dt.timedelta(hours=72)

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


class ThreadKind(enum.Enum):
    """Who a line of an escalation's thread is from."""

    PERSON = "person"  # what the person texted
    CARE_TEXT = "care_text"  # a text the care team wrote on the page
    AUTOMATIC = "automatic"  # BoneLine's automatic answer to the person's text
    PROGRAM = "program"  # a scheduled reminder or another text the program sent
    CALL = "call"  # a "Call now" from the page


@dataclass(frozen=True)
class ThreadItem:
    """One line of an escalation's thread: a text either way, or a call from the page."""

    key: str
    at: dt.datetime
    kind: ThreadKind
    words: str = ""
    status: MessageStatus | None = None
    staff_name: str = ""
    outcome: CallOutcome | None = None
    duration_seconds: int | None = None
    # Why our try to send (or to place a call) failed, in a few words.
    error: str = ""
    # The language of the words, when known (the person's own, and BoneLine's answers to them).
    language: str = ""


@dataclass(frozen=True)
class Timeline:
    """An escalation from report to handled, each step's time (None: not yet)."""

    reported_at: dt.datetime
    alert_delivered_at: dt.datetime | None = None
    alert_by: str = ""  # "webhook" or "text"
    alert_sent_at: dt.datetime | None = None  # a text alert sent, not yet reported delivered
    first_viewed_at: dt.datetime | None = None
    first_viewed_by: str = ""
    first_contact_at: dt.datetime | None = None
    first_contact_by: str = ""
    first_contact_kind: ContactKind | None = None
    handled_at: dt.datetime | None = None
    handled_by: str = ""


@dataclass(frozen=True)
class EscalationPage:
    """Everything an escalation's page shows."""

    escalation: Escalation
    timeline: Timeline
    thread: list[ThreadItem]
    opted_out: bool


def escalation_page(
    sessions: Sessions, escalation_id: int, viewer: str, now: dt.datetime
) -> EscalationPage | None:
    """One escalation with its timeline and thread; the first look at it is recorded."""
    with transaction(sessions) as session:
        if escalations.get(session, escalation_id) is None:
            return None
        escalations.note_first_view(session, escalation_id, viewer, now)
        escalation = escalations.get(session, escalation_id)
        assert escalation is not None
        session.refresh(escalation)
        made = contacts.for_escalation(session, escalation_id)
        thread = _thread(session, escalation, made)
        timeline = _timeline(session, escalation, made)
        opted_out = bool(escalation.phone) and consent.opted_out(session, escalation.phone)
    return EscalationPage(escalation, timeline, thread, opted_out)


def escalation_thread(sessions: Sessions, escalation_id: int) -> list[ThreadItem] | None:
    """An escalation's thread alone (the page's script checks it for replies)."""
    with sessions() as session:
        escalation = escalations.get(session, escalation_id)
        if escalation is None:
            return None
        return _thread(session, escalation, contacts.for_escalation(session, escalation_id))


def _thread(
    session: DbSession, escalation: Escalation, made: Sequence[CareContact]
) -> list[ThreadItem]:
    """The person's texts and ours since the escalation (until it was handled), and the calls
    made from the page, oldest first."""
    items: list[ThreadItem] = []
    writers: dict[int, str] = {
        contact.message_row_id: contact.staff.name
        for contact in made
        if contact.kind is ContactKind.TEXT and contact.message_row_id is not None
    }
    if escalation.phone:
        # From the text that raised the flag (several can share its second in the simulator).
        trigger = messages.text_logged_at(
            session, escalation.phone, escalation.created_at, escalation.detail
        )
        rows = messages.conversation(
            session,
            escalation.phone,
            since=escalation.created_at,
            from_id=trigger,
            until=escalation.handled_at,
            limit=THREAD_SHOWN,
        )
        items.extend(_text_item(row, writers, escalation.language) for row in rows)
    calls = [
        ThreadItem(
            key=f"c{contact.id}",
            at=contact.created_at,
            kind=ThreadKind.CALL,
            staff_name=contact.staff.name,
            outcome=call_outcome(
                contact.staff_call_status, contact.person_call_status, contact.error
            ),
            duration_seconds=contact.duration_seconds,
            error=contact.error or "",
        )
        for contact in made
        if contact.kind is ContactKind.CALL
    ]
    return _merge(items, calls)


def _merge(texts: list[ThreadItem], calls: list[ThreadItem]) -> list[ThreadItem]:
    """Texts in the order they were logged, each call before the first text logged after it."""
    merged: list[ThreadItem] = []
    pending = sorted(calls, key=lambda call: call.at)
    for text in texts:
        while pending and pending[0].at <= text.at:
            merged.append(pending.pop(0))
        merged.append(text)
    return merged + pending


def _text_item(row: Message, writers: dict[int, str], language: str) -> ThreadItem:
    """One logged text as a thread line."""
    if row.direction is Direction.INBOUND:
        kind = ThreadKind.PERSON
    elif row.message_id == messages.CARE_TEXT:
        kind = ThreadKind.CARE_TEXT
    elif row.in_reply_to_id is not None:
        kind = ThreadKind.AUTOMATIC
    else:
        kind = ThreadKind.PROGRAM
    return ThreadItem(
        key=f"m{row.id}",
        at=row.created_at,
        kind=kind,
        words=row.body,
        status=row.status,
        staff_name=writers.get(row.id, ""),
        error=row.last_error or "",
        language="" if kind is ThreadKind.CARE_TEXT else language,
    )


def _timeline(session: DbSession, escalation: Escalation, made: Sequence[CareContact]) -> Timeline:
    """When each step of the escalation happened."""
    sms = reports.sms_alert_times(session, escalation.id)
    delivered = [
        (moment, how)
        for moment, how in ((escalation.alerted_at, "webhook"), (sms.delivered_at, "text"))
        if moment is not None
    ]
    alert_at, alert_by = min(delivered) if delivered else (None, "")
    first = made[0] if made else None
    return Timeline(
        reported_at=escalation.created_at,
        alert_delivered_at=alert_at,
        alert_by=alert_by,
        alert_sent_at=sms.sent_at if alert_at is None else None,
        first_viewed_at=escalation.first_viewed_at,
        first_viewed_by=escalation.first_viewed_by or "",
        first_contact_at=first.created_at if first else None,
        first_contact_by=first.staff.name if first else "",
        first_contact_kind=first.kind if first else None,
        handled_at=escalation.handled_at,
        handled_by=escalation.handled_by or "",
    )


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
class EscalationWeek:
    """One week's escalations: how many, why, and how fast the care team reached and handled
    them (minutes from the report; None when there is nothing to measure)."""

    week_start: dt.date
    by_reason: dict[str, int]
    contacted: int = 0
    contact_median: float | None = None
    contact_p90: float | None = None
    handled: int = 0
    handled_median: float | None = None
    handled_p90: float | None = None

    @property
    def reported(self) -> int:
        """Escalations reported that week."""
        return sum(self.by_reason.values())


@dataclass(frozen=True)
class CheckinWeek:
    """One week's back-pain check-ins (texts and calls) and how they were answered."""

    week_start: dt.date
    sent: int = 0
    yes: int = 0
    no: int = 0
    unanswered: int = 0  # the 72 hours to answer passed with no answer
    waiting: int = 0  # still inside the 72 hours


@dataclass(frozen=True)
class ProgramOverview:
    """The program at a glance."""

    active_by_stage: dict[str, int]
    active_by_language: dict[str, int]
    active_by_channel: dict[str, int]
    by_status: dict[str, int]
    weeks: list[WeekCounts]
    escalation_weeks: list[EscalationWeek] = field(default_factory=list)
    checkin_weeks: list[CheckinWeek] = field(default_factory=list)

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
        reported = escalations.reported_since(session, since)
        first_contacts = contacts.first_contact_times(session, since)
        # A person's local day can be a day off the clinic's: look one day further back.
        checkins = reports.checkins_sent_since(session, first_week - dt.timedelta(days=1))
        answers = reports.checkin_answers_since(session, since - dt.timedelta(days=1))

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
    starts = [first_week + dt.timedelta(weeks=n) for n in range(weeks)]
    return ProgramOverview(
        active_by_stage=counts.active_by_stage,
        active_by_language=counts.active_by_language,
        active_by_channel=counts.active_by_channel,
        by_status=counts.by_status,
        weeks=week_list,
        escalation_weeks=escalation_weeks(reported, first_contacts, zone, starts),
        checkin_weeks=checkin_weeks(checkins, answers, now, starts),
    )


def _minutes(later: dt.datetime, earlier: dt.datetime) -> float:
    """Minutes between two times."""
    return (later - earlier).total_seconds() / 60


def escalation_weeks(
    reported: Sequence[escalations.Reported],
    first_contacts: dict[int, dt.datetime],
    zone: ZoneInfo,
    starts: Sequence[dt.date],
) -> list[EscalationWeek]:
    """Per clinic week: escalations by reason, and minutes from report to first call or text
    and to handled (median and 90th percentile)."""
    by_week: dict[dt.date, list[escalations.Reported]] = {start: [] for start in starts}
    for escalation in reported:
        week = week_start(local_time(escalation.created_at, zone).date())
        if week in by_week:
            by_week[week].append(escalation)
    result = []
    for start, found in by_week.items():
        reasons = Counter(escalation.reason for escalation in found)
        to_contact = [
            _minutes(first_contacts[escalation.id], escalation.created_at)
            for escalation in found
            if escalation.id in first_contacts
        ]
        to_handled = [
            _minutes(escalation.handled_at, escalation.created_at)
            for escalation in found
            if escalation.handled_at is not None
        ]
        result.append(
            EscalationWeek(
                week_start=start,
                by_reason=dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
                contacted=len(to_contact),
                contact_median=median(to_contact),
                contact_p90=percentile_90(to_contact),
                handled=len(to_handled),
                handled_median=median(to_handled),
                handled_p90=percentile_90(to_handled),
            )
        )
    return result


def checkin_weeks(
    sent: Sequence[reports.SentCheckin],
    answers: Sequence[tuple[int | None, dt.datetime, str]],
    now: dt.datetime,
    starts: Sequence[dt.date],
) -> list[CheckinWeek]:
    """Per week (of the person's local day): check-ins sent and answered yes, no or not at all.

    A check-in's answer is the person's first YES or NO within 72 hours of it; each answer
    counts for one check-in only.
    """
    unused = sorted(answers, key=lambda answer: answer[1])
    counts: dict[dt.date, Counter[str]] = {start: Counter() for start in starts}
    for checkin in sorted(sent, key=lambda item: item.sent_at):
        week = week_start(checkin.local_date)
        if week not in counts:
            continue
        deadline = checkin.sent_at + CHECKIN_ANSWER_WINDOW
        match = next(
            (
                answer
                for answer in unused
                if answer[0] == checkin.subscriber_id and checkin.sent_at <= answer[1] <= deadline
            ),
            None,
        )
        counts[week]["sent"] += 1
        if match is not None:
            unused.remove(match)
            counts[week][match[2]] += 1
        elif now <= deadline:
            counts[week]["waiting"] += 1
        else:
            counts[week]["unanswered"] += 1
    return [
        CheckinWeek(
            start,
            sent=tally["sent"],
            yes=tally["yes"],
            no=tally["no"],
            unanswered=tally["unanswered"],
            waiting=tally["waiting"],
        )
        for start, tally in counts.items()
    ]


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week a day falls in."""
    return day - dt.timedelta(days=day.weekday())
