"""The care team's page at /care: log in, see open escalations, mark them handled, search."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response as BaseResponse

from service.config import Settings
from service.domain.clock import utcnow
from service.domain.phones import display, mask
from service.flows import care_queue, health, staff_accounts
from service.flows.care_contact import FROM_LINE
from service.flows.care_queue import (
    HANDLED_SHOWN,
    MAX_NAME,
    MAX_NOTE,
    HandledSearch,
    HandleResult,
    ThreadItem,
    ThreadKind,
    clinic_zone,
    local_time,
)
from service.flows.health import OperationsStatus
from service.flows.staff_accounts import StaffMember
from service.flows.staff_logins import LoginThrottle
from service.gateway.sender import CareSender, sender_for
from service.store.db import DatabaseUnavailable, Sessions
from service.vocabulary import CallOutcome, MessageStatus, StaffRole
from service.web.care_login import LoggedIn, StaffLogin
from service.words.segments import sms_form

log = logging.getLogger(__name__)

bp = Blueprint(
    "care",
    __name__,
    url_prefix="/care",
    static_folder="static/care",
    static_url_path="/static",
)

USER_KEY = "care_user"
# The staff account's id (none for the shared password), its role, when the person last did
# something (for the idle timeout), and the escalations whose number they chose to see.
STAFF_KEY = "care_staff_id"
ROLE_KEY = "care_role"
SEEN_KEY = "care_last_seen"
REVEALED_KEY = "care_revealed"
CSRF_FIELD = "csrf_token"
CSRF_REFUSED = "The form expired. Go back, reload the page and try again."
# Flask-WTF's CSRF protection, checked by the /care blueprint only (see `guard`).
csrf = CSRFProtect()
PUBLIC_ENDPOINTS = frozenset({"care.login", "care.login_form", "care.static"})
# What the page's own scripts fetch on a timer: answered 401 when logged out, and not counted
# as activity (a page left open must still log out when nobody uses it).
POLL_ENDPOINTS = frozenset({"care.open_rows", "care.escalation_thread"})
# What a staff member with a one-time password may do before choosing their own.
PASSWORD_ENDPOINTS = frozenset({"care.password_form", "care.change_password", "care.logout"})
# Views drawn with the header (the status line) and room for the alert banner.
FULL_PAGES = frozenset(
    {
        "care.open_list",
        "care.escalation_detail",
        "care.handle",
        "care.handled_list",
        "care.program",
        "care.send_text",
        "care.access_log",
    }
)
ROLE_NAMES = {
    StaffRole.NURSE: "nurse",
    StaffRole.ADMIN: "admin",
    StaffRole.VIEWER: "view only",
}
DISABLED = (
    "The care team page is turned off. Add a staff account (boneline staff add NAME --role "
    "nurse), or set CARE_TEAM_PASSWORD or CARE_TEAM_ACCOUNTS, to turn it on."
)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
LANGUAGES = {"en": "English", "es": "Spanish"}
# Two GSM-7 text messages (153 characters each once a text is split).
TWO_SEGMENTS = 306
STAGES = {"pregnant": "Pregnant", "postpartum": "Postpartum"}
SOURCES = {
    "text": "By text",
    "voice": "On a call",
    "call": "On a call",
    "checkin": "Check-in reply",
}
CHANNELS = {"sms": "Texts", "voice": "Phone calls"}
STATUSES = {"enrolling": "Still signing up", "active": "Active", "stopped": "Stopped"}


@dataclass
class CarePage:
    """What the care views share for one app: the logins, the throttle, the clinic's zone, how
    long a login may sit idle, and what calls and texts go through."""

    login: StaffLogin
    throttle: LoginThrottle
    zone: ZoneInfo
    poll_seconds: int
    idle: dt.timedelta
    settings: Settings
    _sender: CareSender | None = None

    @property
    def sender(self) -> CareSender:
        """Twilio when configured, else the printing demo sender (built at first use)."""
        if self._sender is None:
            self._sender = sender_for(self.settings)
        return self._sender


class CareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure whenever the request itself is https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured (an https PUBLIC_BASE_URL) or when this request is https."""
        return bool(super().get_cookie_secure(app) or (has_request_context() and request.is_secure))


def init_app(app: Flask, settings: Settings) -> None:
    """Register /care with hardened session cookies; fails fast on unusable settings."""
    app.config.update(
        SESSION_COOKIE_NAME="boneline_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.PUBLIC_BASE_URL.lower().startswith("https://"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
    )
    app.session_interface = CareSessionInterface()
    # Flask-WTF's tokens, checked only where /care asks (`guard`): Twilio's webhooks cannot send
    # one, so app-wide checking would refuse them. A token lasts as long as the login session.
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_FIELD_NAME=CSRF_FIELD,
        WTF_CSRF_TIME_LIMIT=int(app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()),
    )
    csrf.init_app(app)
    database_sessions = app.extensions["boneline"].db.Session
    page = CarePage(
        login=StaffLogin.from_settings(settings, database_sessions),
        throttle=LoginThrottle(database_sessions),
        zone=clinic_zone(settings),
        poll_seconds=int(app.config.get("CARE_POLL_SECONDS", 10)),
        idle=dt.timedelta(minutes=max(settings.CARE_IDLE_MINUTES, 1)),
        settings=settings,
    )
    app.extensions["boneline_care"] = page
    if page.login.enabled_by_settings and not settings.SECRET_KEY:
        app.logger.warning(
            "SECRET_KEY is not set: care team logins end when this process restarts and do not "
            "work across several web workers. Set SECRET_KEY to a long random value."
        )
    from service.web import care_reach  # noqa: F401  (its views join this blueprint)

    app.register_blueprint(bp)


def care_page() -> CarePage:
    """This app's care page state."""
    page: CarePage = current_app.extensions["boneline_care"]
    return page


def sessions() -> Sessions:
    """This app's database sessions (the care flows open and close them)."""
    made: Sessions = current_app.extensions["boneline"].db.Session
    return made


def current_user() -> str | None:
    """The logged-in staff member's name, if any."""
    user = session.get(USER_KEY)
    return user if isinstance(user, str) else None


def current_role() -> StaffRole:
    """What the logged-in person may do (view only unless their own account says more)."""
    try:
        return StaffRole(session.get(ROLE_KEY, StaffRole.VIEWER))
    except ValueError:
        return StaffRole.VIEWER


def current_staff_id() -> int | None:
    """The logged-in person's staff account id (None for the shared password)."""
    staff_id = session.get(STAFF_KEY)
    return staff_id if isinstance(staff_id, int) else None


def current_member() -> StaffMember | None:
    """The logged-in person's account, as the guard loaded it for this request."""
    member: StaffMember | None = g.get("care_member")
    return member


def may_reach() -> bool:
    """Whether the logged-in person may show numbers, call and text (a nurse or an admin)."""
    return current_role() in (StaffRole.NURSE, StaffRole.ADMIN)


def start_session(who: LoggedIn, now: dt.datetime) -> None:
    """A fresh session for someone who just logged in."""
    session.clear()
    session.permanent = True
    session[USER_KEY] = who.name
    session[ROLE_KEY] = who.role.value
    if who.staff_id is not None:
        session[STAFF_KEY] = who.staff_id
    session[SEEN_KEY] = now.isoformat()


def _logged_out(reason: str) -> BaseResponse:
    """End the session; a page goes to the login form (and back after), a refresh gets 401
    (and leaves the session for the next page to end, so that page can say why)."""
    if request.endpoint in POLL_ENDPOINTS:
        abort(401, description="Logged out")
    if current_user():
        session.clear()  # (a visitor's session may hold a message for the login form)
    if reason:
        flash(reason)
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("care.login_form", next=target))


def _idle_too_long(now: dt.datetime) -> bool:
    """Whether the session has gone unused for longer than the clinic allows."""
    try:
        last_seen = dt.datetime.fromisoformat(str(session.get(SEEN_KEY)))
    except ValueError:
        return True
    return now - last_seen > care_page().idle


@bp.before_request
def guard() -> BaseResponse | None:
    """Closed without a password; every POST needs the form token; every page needs a login
    that has not sat idle too long and whose account is still enabled."""
    if not care_page().login.enabled:
        abort(503, description=DISABLED)
    if request.method == "POST":
        csrf.protect()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user():
        return _logged_out("")
    now = utcnow()
    if _idle_too_long(now):
        minutes = int(care_page().idle.total_seconds() // 60)
        log.info("care login ended after %s idle minutes", minutes)
        return _logged_out(f"You were logged out after {minutes} minutes without activity.")
    staff_id = current_staff_id()
    if staff_id is not None:
        member = staff_accounts.member(sessions(), staff_id)
        if member is None or member.disabled:
            log.info("care login of staff %s ended: the account is disabled", staff_id)
            return _logged_out("Your account is disabled. Ask an admin.")
        g.care_member = member
        session[ROLE_KEY] = member.role.value  # a changed role counts at once
        if member.temporary_password and request.endpoint not in PASSWORD_ENDPOINTS:
            return redirect(url_for("care.password_form"))
    if request.endpoint not in POLL_ENDPOINTS:
        session[SEEN_KEY] = now.isoformat()
    return None


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> tuple[str, int]:
    """A form without a valid token (expired, forged, or from another site): say what to do."""
    log.warning("care form refused: %s", error.description)
    return f"400 Bad Request: {CSRF_REFUSED}", 400


@bp.after_request
def harden(response: Response) -> Response:
    """Keep care pages out of caches and frames (the stylesheet and script may be cached)."""
    response.headers.update(SECURITY_HEADERS)
    if request.endpoint == "care.static":
        response.headers.pop("Cache-Control")
    return response


@bp.app_template_global()
def clinic_date(moment: dt.datetime) -> str:
    """The clinic's local date of a stored UTC time, e.g. 'Mon Nov 23 2026'."""
    return local_time(moment, care_page().zone).strftime("%a %b %-d %Y")


@bp.app_template_global()
def clinic_clock(moment: dt.datetime) -> str:
    """The clinic's local time of day of a stored UTC time, e.g. '5:14 PM EST'."""
    return local_time(moment, care_page().zone).strftime("%-I:%M %p %Z")


@bp.app_template_global()
def iso_time(moment: dt.datetime | None) -> str:
    """A stored UTC time for a <time datetime> attribute."""
    return moment.replace(tzinfo=dt.UTC).isoformat() if moment else ""


@bp.context_processor
def page_helpers() -> dict[str, Any]:
    """Names every care template can use."""
    return {
        "csrf_field": CSRF_FIELD,
        "current_user": current_user(),
        "current_role": current_role(),
        "role_name": lambda role: ROLE_NAMES.get(role, str(role)),
        "may_reach": may_reach(),
        "is_admin": current_role() is StaffRole.ADMIN,
        "has_account": current_staff_id() is not None,
        # Not for the open list's refresh fragment, which has no header to show it in.
        "operations": operations() if current_user() and request.endpoint in FULL_PAGES else None,
        "mask": mask,
        "language_name": lambda code: LANGUAGES.get(code or "", code or "Unknown"),
        "stage_name": lambda stage: STAGES.get(stage or "", stage or "Not known yet"),
        "channel_name": lambda channel: CHANNELS.get(channel, channel),
        "status_name": lambda status: STATUSES.get(status, status),
        "source_name": lambda source: SOURCES.get(source, source),
        "reason_name": lambda reason: (reason or "").replace("_", " ").capitalize(),
        "phone_display": display,
        "thread_who": thread_who,
        "message_status": lambda status: MESSAGE_STATUSES.get(status, str(status)),
        "call_outcome_text": call_outcome_text,
        "minutes_after": minutes_after,
        "figure": figure,
        "text_from": text_from,
        "text_room": text_room,
        "poll_seconds": care_page().poll_seconds,
        "max_name": MAX_NAME,
        "program_name": current_app.extensions["boneline"].settings.PROGRAM_NAME,
    }


# What a logged text's status means to a nurse reading the thread.
MESSAGE_STATUSES = {
    MessageStatus.CLAIMED: "sending",
    MessageStatus.WAITING: "waiting in the outbox",
    MessageStatus.SUBMITTED: "on its way",
    MessageStatus.ACCEPTED: "on its way",
    MessageStatus.QUEUED: "on its way",
    MessageStatus.SENDING: "on its way",
    MessageStatus.REPLIED: "on its way",
    MessageStatus.SENT: "sent",
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.READ: "read",
    MessageStatus.UNDELIVERED: "not delivered",
    MessageStatus.FAILED: "not delivered",
    MessageStatus.REJECTED: "refused by Twilio",
    MessageStatus.UNKNOWN: "may not have gone; not sent again",
    MessageStatus.ERROR: "error; not sent again",
    MessageStatus.SKIPPED: "not sent (too late)",
    MessageStatus.CANCELLED: "not sent (they stopped)",
}
CALL_OUTCOMES = {
    CallOutcome.PLACING: "Asking Twilio to ring {name}'s phone.",
    CallOutcome.NOT_PLACED: "The call could not be placed.",
    CallOutcome.RINGING_STAFF: "Ringing {name}'s phone.",
    CallOutcome.STAFF_ANSWERED: "{name} answered; the person is called once they press 1.",
    CallOutcome.STAFF_MISSED: "{name}'s phone did not answer, so the person was not called.",
    CallOutcome.NOT_CONNECTED: "{name} hung up before the person was called.",
    CallOutcome.RINGING_PERSON: "Ringing the person.",
    CallOutcome.TALKING: "Talking now.",
    CallOutcome.ANSWERED: "They answered. The call lasted {duration}.",
    CallOutcome.NO_ANSWER: "They did not answer.",
    CallOutcome.BUSY: "Their line was busy.",
    CallOutcome.FAILED: "The call to them did not go through.",
}
THREAD_WHO = {
    ThreadKind.PERSON: "They wrote",
    ThreadKind.CARE_TEXT: "Text from {name}",
    ThreadKind.AUTOMATIC: "BoneLine's automatic answer",
    ThreadKind.PROGRAM: "Sent by BoneLine",
    ThreadKind.CALL: "Call by {name}",
}


def thread_who(item: ThreadItem) -> str:
    """Who a thread line is from."""
    return THREAD_WHO[item.kind].format(name=item.staff_name or "the care team")


def call_outcome_text(item: ThreadItem) -> str:
    """How a call from the page went, in a sentence."""
    template = CALL_OUTCOMES[item.outcome or CallOutcome.PLACING]
    return template.format(
        name=item.staff_name or "the care team", duration=duration_text(item.duration_seconds)
    )


def duration_text(seconds: int | None) -> str:
    """`3 min 12 s`, `45 s`."""
    if seconds is None:
        return "an unknown time"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def minutes_after(later: dt.datetime, earlier: dt.datetime) -> str:
    """How long after, in minutes (or hours and minutes): `12 min`, `2 h 5 min`."""
    minutes = max(int((later - earlier).total_seconds() // 60), 0)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def figure(minutes: float | None) -> str:
    """Minutes for the program page: whole ones from 10 up, one decimal below."""
    if minutes is None:
        return "none"
    return f"{minutes:.0f}" if minutes >= 10 else f"{minutes:.1f}"


def text_from(language: str) -> str:
    """The line that starts every text from the page, in the person's language."""
    texts = current_app.extensions["boneline"].texts
    return str(texts.render(FROM_LINE, language))


def text_room(language: str) -> int:
    """About how many characters the nurse's words may take (two plain text messages)."""
    return TWO_SEGMENTS - len(sms_form(text_from(language))) - 1


def operations() -> OperationsStatus | None:
    """The status line and the alert banner's facts (None if the database cannot say)."""
    deployment = current_app.extensions["boneline"]
    try:
        return health.operations_status(deployment.db, deployment.settings.heartbeat_max_age)
    except DatabaseUnavailable:
        return None


@bp.get("/login")
def login_form() -> str:
    """Show the login form."""
    return render_template("care/login.html", next=safe_next(request.args.get("next")))


@bp.post("/login")
def login() -> BaseResponse | tuple[str, int]:
    """Log a staff member in, or say the name or password is wrong."""
    page = care_page()
    now = utcnow()
    address = request.remote_addr or "unknown"
    target = safe_next(request.form.get("next"))
    if page.throttle.blocked(address, now):
        log.warning("care login refused: too many wrong passwords from one address")
        message = "Too many wrong passwords. Wait 15 minutes, then try again."
        return render_template("care/login.html", error=message, next=target), 429
    who = page.login.check(request.form.get("name", ""), request.form.get("password", ""))
    if who is None:
        page.throttle.failed(address, now)
        log.info("care login failed")
        message = "That name or password is wrong. Check them and try again."
        return render_template("care/login.html", error=message, next=target), 401
    page.throttle.succeeded(address)
    start_session(who, now)
    if who.staff_id is not None:
        staff_accounts.note_login(sessions(), who.staff_id, now)
        log.info("care login succeeded: staff %s (%s)", who.staff_id, who.role.value)
    else:
        log.info("care login succeeded (view only)")
    if who.must_change_password:
        return redirect(url_for("care.password_form"))
    return redirect(target or url_for("care.open_list"))


def safe_next(target: str | None) -> str | None:
    """A same-site /care path to return to after login, never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/care"):
        return None
    if parts.path.startswith(("/care/login", "/care/open-rows")):
        return None
    return target


@bp.post("/logout")
def logout() -> BaseResponse:
    """Log out and go back to the login form."""
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("care.login_form"))


@bp.get("")
def open_list() -> str:
    """List open escalations, newest first."""
    escalations = care_queue.open_escalations(sessions())
    return render_template("care/open.html", escalations=escalations)


@bp.get("/")
def open_list_slash() -> BaseResponse:
    """Send /care/ to /care."""
    return redirect(url_for("care.open_list"))


@bp.get("/open-rows")
def open_rows() -> str:
    """The open escalations' table rows, for the page's auto-refresh script."""
    escalations = care_queue.open_escalations(sessions())
    return render_template("care/_open_rows.html", escalations=escalations)


# Ids are 32-bit integers on PostgreSQL: a bigger number is simply not found (not a 500).
@bp.get("/escalations/<int(max=2147483647):escalation_id>")
def escalation_detail(escalation_id: int) -> str:
    """Show one escalation: the person, how to reach them, the thread, the timeline, handling."""
    return render_detail(escalation_id)


def render_detail(escalation_id: int, **extra: Any) -> str:
    """The escalation's page (its first view is recorded); extra names for a form's error."""
    found = care_queue.escalation_page(sessions(), escalation_id, current_user() or "", utcnow())
    if found is None:
        abort(404, description="There is no escalation with that number.")
    return render_template(
        "care/detail.html",
        escalation=found.escalation,
        timeline=found.timeline,
        thread=found.thread,
        opted_out=found.opted_out,
        revealed=may_reach() and escalation_id in revealed_ids(),
        member=current_member(),
        max_note=MAX_NOTE,
        **extra,
    )


def revealed_ids() -> list[int]:
    """Escalations whose number the logged-in person chose to see (this session)."""
    found = session.get(REVEALED_KEY)
    return [item for item in found if isinstance(item, int)] if isinstance(found, list) else []


HANDLE_MESSAGES = {
    HandleResult.HANDLED: "Escalation {id} is marked handled.",
    HandleResult.ALREADY_HANDLED: "Someone already marked escalation {id} handled.",
}


@bp.post("/escalations/<int(max=2147483647):escalation_id>/handle")
def handle(escalation_id: int) -> BaseResponse | tuple[str, int]:
    """Mark an escalation handled with a note."""
    note = request.form.get("note", "").strip()
    if not note or len(note) > MAX_NOTE:
        error = f"Write a short note (up to {MAX_NOTE} characters) about what you did."
        return render_detail(escalation_id, error=error, note=note), 400
    result = care_queue.mark_handled(
        sessions(), escalation_id, current_user() or "", note, utcnow()
    )
    if result is HandleResult.NOT_FOUND:
        abort(404, description="There is no escalation with that number.")
    log.info("escalation %s: %s", escalation_id, result.value)
    flash(HANDLE_MESSAGES[result].format(id=escalation_id))
    return redirect(url_for("care.open_list"))


@bp.get("/handled")
def handled_list() -> tuple[str, int] | str:
    """Search handled escalations by last four digits, words, and dates."""
    errors: list[str] = []
    last4 = "".join(request.args.get("last4", "").split())
    if last4 and not (last4.isdigit() and len(last4) <= 4):
        errors.append("Last digits: type up to 4 digits, like 0143.")
        last4 = ""
    start = _date_arg("from", "From date", errors)
    end = _date_arg("to", "To date", errors)
    search = HandledSearch(
        last4=last4, words=request.args.get("q", "").strip()[:200], start=start, end=end
    )
    escalations = care_queue.handled_escalations(sessions(), search, care_page().zone)
    html = render_template(
        "care/handled.html",
        escalations=escalations,
        search=search,
        errors=errors,
        limit=HANDLED_SHOWN,
    )
    return (html, 400) if errors else html


def _date_arg(name: str, label: str, errors: list[str]) -> dt.date | None:
    """A YYYY-MM-DD date from the query string; notes an error when it is not one."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label}: use a date like 2026-11-23.")
        return None


@bp.get("/program")
def program() -> str:
    """Show the program at a glance: subscribers, messages and opt-outs."""
    overview = care_queue.program_overview(sessions(), care_page().zone, utcnow())
    return render_template("care/program.html", overview=overview)
