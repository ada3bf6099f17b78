"""What the care team page knows: who may log in, the escalations, the program's numbers.

Plain Python over SQLAlchemy sessions; the Flask views in `service.care` stay thin.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service.config import Settings
from service.models import (
    ConsentAction,
    ConsentEvent,
    Direction,
    Escalation,
    Message,
    Status,
    Subscriber,
)

# werkzeug's default (scrypt). Tests set a cheap one, as Django's test settings do, for speed.
HASH_METHOD = "scrypt"
MAX_NAME = 64
MAX_NOTE = 2000
WEEKS_SHOWN = 12

# Delivery statuses from Twilio's status callbacks (issue 4 records them on `messages.status`).
DELIVERED = frozenset({"delivered", "read"})
FAILED = frozenset({"failed", "undelivered"})
NOT_SENT = frozenset({"queued", "accepted", "scheduled", "canceled", "received"})


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


def open_escalations(session: Session) -> Sequence[Escalation]:
    """Escalations nobody has handled yet, newest first."""
    return session.scalars(
        sa.select(Escalation)
        .where(Escalation.handled_at.is_(None))
        .order_by(Escalation.created_at.desc(), Escalation.id.desc())
    ).all()


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


HANDLED_SHOWN = 200


def handled_escalations(
    session: Session, search: HandledSearch, zone: ZoneInfo, limit: int = HANDLED_SHOWN
) -> Sequence[Escalation]:
    """Handled escalations matching the search, most recently handled first."""
    query = sa.select(Escalation).where(Escalation.handled_at.is_not(None))
    if search.last4:
        query = query.where(Escalation.phone.endswith(search.last4, autoescape=True))
    for word in search.words.split():
        pattern = f"%{_escape_like(word)}%"
        query = query.where(
            sa.or_(
                Escalation.detail.ilike(pattern, escape="\\"),
                Escalation.note.ilike(pattern, escape="\\"),
                Escalation.reason.ilike(pattern, escape="\\"),
            )
        )
    if search.start:
        query = query.where(Escalation.created_at >= utc_start_of(search.start, zone))
    if search.end:
        query = query.where(
            Escalation.created_at < utc_start_of(search.end + dt.timedelta(days=1), zone)
        )
    query = query.order_by(Escalation.handled_at.desc(), Escalation.id.desc()).limit(limit)
    return session.scalars(query).all()


def _escape_like(text: str) -> str:
    """Make % and _ in a search word match themselves."""
    return re.sub(r"([\\%_])", r"\\\1", text)


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
    session: Session, escalation_id: int, handled_by: str, note: str, now: dt.datetime
) -> HandleResult:
    """Record who handled an escalation, when, and their note; the first one to do it wins."""
    escalation = session.get(Escalation, escalation_id, with_for_update=True)
    if escalation is None:
        return HandleResult.NOT_FOUND
    if escalation.handled_at is not None:
        return HandleResult.ALREADY_HANDLED
    escalation.handled_at = now
    escalation.handled_by = handled_by[:MAX_NAME]
    escalation.note = note.strip()[:MAX_NOTE]
    return HandleResult.HANDLED


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
    session: Session, zone: ZoneInfo, now: dt.datetime, weeks: int = WEEKS_SHOWN
) -> ProgramOverview:
    """Subscribers by stage, language and channel; messages and opt-outs for recent weeks."""
    this_week = week_start(local_time(now, zone).date())
    first_week = this_week - dt.timedelta(weeks=weeks - 1)
    since = utc_start_of(first_week, zone)

    sent: Counter[dt.date] = Counter()
    delivered: Counter[dt.date] = Counter()
    failed: Counter[dt.date] = Counter()
    rows = session.execute(
        sa.select(Message.created_at, Message.status).where(
            Message.direction == Direction.OUTBOUND, Message.created_at >= since
        )
    )
    for created_at, status in rows:
        if status in NOT_SENT:
            continue
        week = week_start(local_time(created_at, zone).date())
        sent[week] += 1
        delivered[week] += status in DELIVERED
        failed[week] += status in FAILED

    opt_outs: Counter[dt.date] = Counter(
        week_start(local_time(occurred_at, zone).date())
        for occurred_at in session.scalars(
            sa.select(ConsentEvent.occurred_at).where(
                ConsentEvent.action == ConsentAction.OPT_OUT, ConsentEvent.occurred_at >= since
            )
        )
    )
    week_list = [
        WeekCounts(start, sent[start], delivered[start], failed[start], opt_outs[start])
        for start in (first_week + dt.timedelta(weeks=n) for n in range(weeks))
    ]
    active = Subscriber.status == Status.ACTIVE
    return ProgramOverview(
        active_by_stage=_count_by(session, Subscriber.stage, active),
        active_by_language=_count_by(session, Subscriber.language, active),
        active_by_channel=_count_by(session, Subscriber.channel, active),
        by_status=_count_by(session, Subscriber.status, sa.true()),
        weeks=week_list,
    )


def _count_by(
    session: Session, column: sa.orm.InstrumentedAttribute[object], where: sa.ColumnElement[bool]
) -> dict[str, int]:
    """Subscriber counts grouped by one column (None becomes 'unknown'), largest first."""
    rows = session.execute(
        sa.select(column, sa.func.count()).select_from(Subscriber).where(where).group_by(column)
    ).all()
    counts = {_label(value): count for value, count in rows}
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _label(value: object) -> str:
    """An enum's value or a plain string; 'unknown' for NULL."""
    if value is None:
        return "unknown"
    return str(getattr(value, "value", value))


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week a day falls in."""
    return day - dt.timedelta(days=day.weekday())


class LoginThrottle:
    """Refuses more logins from one address after a few wrong passwords (per process)."""

    def __init__(
        self, max_failures: int = 5, window: dt.timedelta = dt.timedelta(minutes=15)
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, list[dt.datetime]] = {}
        self._lock = threading.Lock()  # threaded servers check logins concurrently

    def _recent(self, key: str, now: dt.datetime) -> list[dt.datetime]:
        """The failures from `key` still inside the window (older ones are forgotten)."""
        recent = [moment for moment in self._failures.get(key, []) if now - moment < self.window]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return recent

    def blocked(self, key: str, now: dt.datetime) -> bool:
        """Whether `key` has used up its tries for now."""
        with self._lock:
            return len(self._recent(key, now)) >= self.max_failures

    def failed(self, key: str, now: dt.datetime) -> None:
        """Count one wrong password from `key`."""
        with self._lock:
            if len(self._failures) > 10_000:  # a flood of addresses: forget the stale ones
                for stale in list(self._failures):
                    self._recent(stale, now)
            self._failures.setdefault(key, []).append(now)

    def succeeded(self, key: str) -> None:
        """Forget `key`'s failures after a right password."""
        with self._lock:
            self._failures.pop(key, None)
