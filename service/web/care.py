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
from service.domain.phones import mask
from service.flows import care_queue, health
from service.flows.care_queue import (
    HANDLED_SHOWN,
    MAX_NAME,
    MAX_NOTE,
    HandledSearch,
    HandleResult,
    clinic_zone,
    local_time,
)
from service.flows.health import OperationsStatus
from service.flows.staff_logins import LoginThrottle
from service.store.db import DatabaseUnavailable, Sessions
from service.web.care_login import StaffLogin

log = logging.getLogger(__name__)

bp = Blueprint(
    "care",
    __name__,
    url_prefix="/care",
    static_folder="static/care",
    static_url_path="/static",
)

USER_KEY = "care_user"
CSRF_FIELD = "csrf_token"
CSRF_REFUSED = "The form expired. Go back, reload the page and try again."
# Flask-WTF's CSRF protection, checked by the /care blueprint only (see `guard`).
csrf = CSRFProtect()
PUBLIC_ENDPOINTS = frozenset({"care.login", "care.login_form", "care.static"})
# Views drawn with the header (the status line) and room for the alert banner.
FULL_PAGES = frozenset(
    {"care.open_list", "care.escalation_detail", "care.handle", "care.handled_list", "care.program"}
)
DISABLED = (
    "The care team page is turned off. Set CARE_TEAM_PASSWORD or CARE_TEAM_ACCOUNTS to turn it on."
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
    """What the care views share for one app: the logins, the throttle, the clinic's zone."""

    login: StaffLogin
    throttle: LoginThrottle
    zone: ZoneInfo
    poll_seconds: int


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
    page = CarePage(
        login=StaffLogin.from_settings(settings),
        throttle=LoginThrottle(app.extensions["boneline"].db.Session),
        zone=clinic_zone(settings),
        poll_seconds=int(app.config.get("CARE_POLL_SECONDS", 10)),
    )
    app.extensions["boneline_care"] = page
    if page.login.enabled and not settings.SECRET_KEY:
        app.logger.warning(
            "SECRET_KEY is not set: care team logins end when this process restarts and do not "
            "work across several web workers. Set SECRET_KEY to a long random value."
        )
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


@bp.before_request
def guard() -> BaseResponse | None:
    """Closed without a password; every POST needs the form token; every page needs a login."""
    if not care_page().login.enabled:
        abort(503, description=DISABLED)
    if request.method == "POST":
        csrf.protect()
    if request.endpoint in PUBLIC_ENDPOINTS or current_user():
        return None
    if request.endpoint == "care.open_rows":
        abort(401, description="Logged out")
    return redirect(url_for("care.login_form", next=request.full_path.rstrip("?")))


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
        # Not for the open list's refresh fragment, which has no header to show it in.
        "operations": operations() if current_user() and request.endpoint in FULL_PAGES else None,
        "mask": mask,
        "language_name": lambda code: LANGUAGES.get(code or "", code or "Unknown"),
        "stage_name": lambda stage: STAGES.get(stage or "", stage or "Not known yet"),
        "channel_name": lambda channel: CHANNELS.get(channel, channel),
        "status_name": lambda status: STATUSES.get(status, status),
        "source_name": lambda source: SOURCES.get(source, source),
        "reason_name": lambda reason: (reason or "").replace("_", " ").capitalize(),
        "poll_seconds": care_page().poll_seconds,
        "max_name": MAX_NAME,
        "program_name": current_app.extensions["boneline"].settings.PROGRAM_NAME,
    }


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
    name = page.login.check(request.form.get("name", ""), request.form.get("password", ""))
    if name is None:
        page.throttle.failed(address, now)
        log.info("care login failed")
        message = "That name or password is wrong. Check them and try again."
        return render_template("care/login.html", error=message, next=target), 401
    page.throttle.succeeded(address)
    session.clear()
    session.permanent = True
    session[USER_KEY] = name
    log.info("care login succeeded")
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
    """Show one escalation, with the form to mark it handled."""
    escalation = care_queue.escalation(sessions(), escalation_id)
    if escalation is None:
        abort(404, description="There is no escalation with that number.")
    return render_template("care/detail.html", escalation=escalation, max_note=MAX_NOTE)


HANDLE_MESSAGES = {
    HandleResult.HANDLED: "Escalation {id} is marked handled.",
    HandleResult.ALREADY_HANDLED: "Someone already marked escalation {id} handled.",
}


@bp.post("/escalations/<int(max=2147483647):escalation_id>/handle")
def handle(escalation_id: int) -> BaseResponse | tuple[str, int]:
    """Mark an escalation handled with a note."""
    note = request.form.get("note", "").strip()
    if not note or len(note) > MAX_NOTE:
        escalation = care_queue.escalation(sessions(), escalation_id)
        if escalation is None:
            abort(404, description="There is no escalation with that number.")
        error = f"Write a short note (up to {MAX_NOTE} characters) about what you did."
        html = render_template(
            "care/detail.html", escalation=escalation, max_note=MAX_NOTE, error=error, note=note
        )
        return html, 400
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
