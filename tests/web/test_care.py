"""The care team page: login, escalations, handling, search and the program's numbers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from service.domain.clock import utcnow
from service.flows.care_queue import CareTeamConfigError, program_overview
from service.store import escalations, heartbeats, planned
from service.store.db import Database
from service.store.models import (
    ConsentEvent,
    Escalation,
    LoginFailure,
    Message,
    PlannedMessage,
    Subscriber,
)
from service.vocabulary import (
    Channel,
    ConsentAction,
    Direction,
    PlanStatus,
    StaffRole,
    Stage,
    Status,
)
from service.web import create_app
from service.web.care_login import LoggedIn, StaffLogin, hash_password, parse_accounts
from tests.conftest import TwilioPost, app_config
from tests.support.care_helpers import (
    FAST_HASH,
    SHARED_PASSWORD,
    add_escalation,
    csrf_token,
    log_in,
    use_fast_password_hashing,
)
from tests.support.sms_helpers import sms_form

STAFF_PASSWORD = "dana's own long password"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap password hashes, so logging in does not dominate the run."""
    use_fast_password_hashing(monkeypatch)


@pytest.fixture
def staff_accounts() -> str:
    """CARE_TEAM_ACCOUNTS with one account."""
    return f"Dana:{generate_password_hash(STAFF_PASSWORD, FAST_HASH)}"


@pytest.fixture
def care_app(database: Database, staff_accounts: str) -> Iterator[Flask]:
    """The app with the care page turned on (a shared password and one staff account)."""
    app = create_app(
        app_config(
            database.url,
            CARE_TEAM_PASSWORD=SHARED_PASSWORD,
            CARE_TEAM_ACCOUNTS=staff_accounts,
            SECRET_KEY="test secret key",
        )
    )
    yield app
    app.extensions["boneline"].db.dispose()


@pytest.fixture
def care(care_app: Flask) -> FlaskClient:
    """A test client for the care page, not logged in."""
    return care_app.test_client()


@pytest.fixture
def staff(care: FlaskClient) -> FlaskClient:
    """A test client logged in with the shared password."""
    assert log_in(care).status_code == 302
    return care


def page(client: FlaskClient, path: str) -> str:
    """A page's HTML, asserting it loaded."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def row_ids(html: str) -> list[int]:
    """The escalation ids of a table's rows, in page order."""
    return [int(found) for found in re.findall(r'<tr data-id="(\d+)"', html)]


# --- turned off, login, logout, cookies, CSRF ---------------------------------------------


def test_care_page_is_turned_off_without_a_password(client: FlaskClient) -> None:
    for path in ("/care", "/care/login", "/care/program"):
        response = client.get(path)
        assert response.status_code == 503
        assert "CARE_TEAM_PASSWORD" in response.get_data(as_text=True)


def test_pages_send_a_visitor_to_the_login_form(care: FlaskClient) -> None:
    response = care.get("/care/program")
    assert response.status_code == 302
    assert response.headers["Location"] == "/care/login?next=/care/program"


def test_care_with_a_slash_goes_to_the_open_list(staff: FlaskClient) -> None:
    response = staff.get("/care/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/care"


def test_wrong_password_is_refused(care: FlaskClient) -> None:
    response = log_in(care, password="not the password")
    assert response.status_code == 401
    assert "name or password is wrong" in response.get_data(as_text=True)
    assert care.get("/care").status_code == 302


def test_right_shared_password_logs_in_and_names_the_person(care: FlaskClient) -> None:
    response = log_in(care, name="Nurse Ana")
    assert response.status_code == 302
    assert response.headers["Location"] == "/care"
    assert "Logged in as Nurse Ana" in page(care, "/care")


def test_staff_account_logs_in_with_its_own_password_only(care: FlaskClient) -> None:
    assert log_in(care, name="Dana", password=SHARED_PASSWORD).status_code == 401
    assert log_in(care, name="dana", password=STAFF_PASSWORD).status_code == 302


def test_login_returns_to_the_page_asked_for_but_never_another_site(care: FlaskClient) -> None:
    token = csrf_token(care)
    form = {"csrf_token": token, "name": "Ana", "password": SHARED_PASSWORD}
    response = care.post("/care/login", data={**form, "next": "/care/program"})
    assert response.headers["Location"] == "/care/program"
    care.post("/care/logout", data={"csrf_token": csrf_token(care, "/care/program")})
    response = care.post(
        "/care/login", data={**form, "csrf_token": csrf_token(care), "next": "//evil.example/"}
    )
    assert response.headers["Location"] == "/care"


def test_logout_ends_the_session(staff: FlaskClient) -> None:
    token = csrf_token(staff, "/care")
    response = staff.post("/care/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert staff.get("/care").status_code == 302
    assert "You are logged out." in page(staff, "/care/login")


def test_logout_is_not_a_link_a_page_can_trigger(staff: FlaskClient) -> None:
    assert staff.get("/care/logout").status_code == 405
    assert staff.post("/care/logout").status_code == 400
    assert staff.get("/care").status_code == 200


def test_every_post_without_the_form_token_is_refused(
    care: FlaskClient, database: Database
) -> None:
    escalation_id = add_escalation(database)
    form = {"name": "Ana", "password": SHARED_PASSWORD}
    assert care.post("/care/login", data=form).status_code == 400
    assert care.post("/care/login", data={**form, "csrf_token": "forged"}).status_code == 400
    log_in(care)
    response = care.post(f"/care/escalations/{escalation_id}/handle", data={"note": "called"})
    assert response.status_code == 400
    with database.Session() as session:
        assert session.get(Escalation, escalation_id).handled_at is None  # type: ignore[union-attr]


def test_session_cookie_is_httponly_samesite_and_secure_behind_https(
    care: FlaskClient,
) -> None:
    response = log_in(care)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie  # PUBLIC_BASE_URL is https in the test settings


def test_session_cookie_is_secure_when_the_request_is_https(
    database: Database, staff_accounts: str
) -> None:
    settings = app_config(
        database.url, PUBLIC_BASE_URL="", CARE_TEAM_PASSWORD=SHARED_PASSWORD, SECRET_KEY="k"
    )
    app = create_app(settings)
    plain = app.test_client()
    assert "Secure" not in log_in(plain).headers["Set-Cookie"]
    secure = app.test_client()
    secure.get("/care/login", base_url="https://localhost")
    token = csrf_token(secure, "https://localhost/care/login")
    form = {"csrf_token": token, "name": "Ana", "password": SHARED_PASSWORD}
    # Over https, Flask-WTF also wants the browser's Referer from this same site.
    elsewhere = {"Referer": "https://evil.example/care/login"}
    assert secure.post(
        "https://localhost/care/login", data=form, headers=elsewhere
    ).status_code == (400)
    same_site = {"Referer": "https://localhost/care/login"}
    response = secure.post("https://localhost/care/login", data=form, headers=same_site)
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    app.extensions["boneline"].db.dispose()


def test_too_many_wrong_passwords_are_slowed_down(care: FlaskClient) -> None:
    for _ in range(5):
        assert log_in(care, password="guess").status_code == 401
    response = log_in(care, password=SHARED_PASSWORD)
    assert response.status_code == 429
    assert "Wait 15 minutes" in response.get_data(as_text=True)


def care_process(database: Database) -> Flask:
    """One more web process (a gunicorn worker, or the app after a restart) on the database."""
    return create_app(
        app_config(database.url, CARE_TEAM_PASSWORD=SHARED_PASSWORD, SECRET_KEY="test secret key")
    )


def test_wrong_passwords_count_across_web_processes_and_survive_a_restart(
    database: Database,
) -> None:
    first, second = care_process(database), care_process(database)
    for _ in range(3):
        assert log_in(first.test_client(), password="guess").status_code == 401
    for _ in range(2):
        assert log_in(second.test_client(), password="guess").status_code == 401
    # Five wrong passwords in all, split over two workers: both now refuse that address.
    assert log_in(first.test_client()).status_code == 429
    assert log_in(second.test_client()).status_code == 429
    restarted = care_process(database)
    assert log_in(restarted.test_client()).status_code == 429
    # Another address is not held back.
    other = restarted.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert log_in(other).status_code == 302
    with database.Session() as session:
        clients = session.scalars(sa.select(LoginFailure.client)).all()
    assert len(clients) == 5 and "127.0.0.1" not in "".join(clients)  # a hash, not the address
    for app in (first, second, restarted):
        app.extensions["boneline"].db.dispose()


def test_wrong_passwords_are_forgotten_after_a_right_one_and_after_15_minutes(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = care_process(database)
    for _ in range(4):
        assert log_in(app.test_client(), password="guess").status_code == 401
    assert log_in(app.test_client()).status_code == 302
    for _ in range(5):
        assert log_in(app.test_client(), password="guess").status_code == 401
    assert log_in(app.test_client()).status_code == 429
    later = utcnow() + dt.timedelta(minutes=16)
    monkeypatch.setattr("service.web.care.utcnow", lambda: later)
    assert log_in(app.test_client()).status_code == 302
    app.extensions["boneline"].db.dispose()


def test_the_form_token_is_flask_wtfs_signed_token_and_a_foreign_one_is_refused(
    care: FlaskClient, database: Database
) -> None:
    token = csrf_token(care)
    assert token.count(".") == 2  # itsdangerous-signed, as Flask-WTF makes them
    other_app = create_app(
        app_config(database.url, CARE_TEAM_PASSWORD=SHARED_PASSWORD, SECRET_KEY="another key")
    )
    foreign = csrf_token(other_app.test_client())
    form = {"name": "Ana", "password": SHARED_PASSWORD}
    refused = care.post("/care/login", data={**form, "csrf_token": foreign})
    assert refused.status_code == 400
    assert "The form expired" in refused.get_data(as_text=True)
    assert care.post("/care/login", data={**form, "csrf_token": token}).status_code == 302
    other_app.extensions["boneline"].db.dispose()


def test_twilio_webhooks_need_no_form_token(twilio_post: TwilioPost, care_app: Flask) -> None:
    response = twilio_post("/sms", sms_form("HELP"))
    assert response.status_code == 200


def test_care_pages_are_not_cached_or_framed(staff: FlaskClient) -> None:
    response = staff.get("/care")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_staff_accounts_setting_must_be_name_hash_pairs() -> None:
    assert parse_accounts(" Ana:scrypt:1$salt$hash , Bo:pbkdf2:sha256:1$s$h ") == {
        "ana": "scrypt:1$salt$hash",
        "bo": "pbkdf2:sha256:1$s$h",
    }
    with pytest.raises(CareTeamConfigError):
        parse_accounts("Ana:plain-password")


def test_unknown_name_without_a_shared_password_is_refused() -> None:
    login = StaffLogin(parse_accounts(f"Ana:{hash_password('long password one')}"))
    assert login.check("Ana", "long password one") == LoggedIn("Ana", StaffRole.VIEWER)
    assert login.check("Bo", "long password one") is None


def test_an_unknown_clinic_time_zone_stops_the_app_at_start(database: Database) -> None:
    with pytest.raises(CareTeamConfigError, match="CLINIC_TIME_ZONE"):
        create_app(app_config(database.url, CLINIC_TIME_ZONE="Mars/Olympus"))


# --- open escalations ----------------------------------------------------------------------


def test_open_escalations_are_newest_first_with_masked_numbers(
    staff: FlaskClient, database: Database
) -> None:
    oldest = add_escalation(database, created_at=dt.datetime(2026, 11, 20, 15, 0))
    newest = add_escalation(
        database, phone="+13055550199", language="es", created_at=dt.datetime(2026, 11, 23, 9)
    )
    middle = add_escalation(database, stage=None, created_at=dt.datetime(2026, 11, 22, 9))
    add_escalation(database, handled_at=dt.datetime(2026, 11, 23), handled_by="Bo", note="ok")
    html = page(staff, "/care")
    assert row_ids(html) == [newest, middle, oldest]
    assert "***0143" in html and "***0199" in html
    assert "2125550143" not in html and "3055550199" not in html
    assert "my back hurts so much I cannot stand" in html
    assert "Spanish" in html and "Not known yet" in html
    assert "3 open" in html


def test_times_are_shown_in_the_clinics_time_zone(staff: FlaskClient, database: Database) -> None:
    add_escalation(database, created_at=dt.datetime(2026, 11, 23, 22, 0))
    html = page(staff, "/care")
    assert (
        '<span class="nowrap">Mon Nov 23 2026,</span> <span class="nowrap">5:00 PM EST</span>'
        in html
    )


def test_the_refresh_endpoint_lists_open_rows_and_needs_a_login(
    care: FlaskClient, database: Database
) -> None:
    first = add_escalation(database)
    assert care.get("/care/open-rows").status_code == 401
    log_in(care)
    assert row_ids(page(care, "/care/open-rows")) == [first]
    second = add_escalation(database, created_at=dt.datetime(2026, 11, 24))
    assert row_ids(page(care, "/care/open-rows")) == [second, first]


def test_what_a_person_said_is_escaped(staff: FlaskClient, database: Database) -> None:
    add_escalation(database, detail="<script>alert(1)</script> pain")
    html = page(staff, "/care")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


# --- handling ------------------------------------------------------------------------------


def test_marking_handled_records_who_when_and_the_note(
    staff: FlaskClient, database: Database
) -> None:
    escalation_id = add_escalation(database)
    path = f"/care/escalations/{escalation_id}"
    token = csrf_token(staff, path)
    response = staff.post(
        f"{path}/handle", data={"csrf_token": token, "note": "Called back, advised urgent care"}
    )
    assert response.status_code == 302
    assert f"Escalation {escalation_id} is marked handled." in page(staff, "/care")
    assert row_ids(page(staff, "/care")) == []
    with database.Session() as session:
        escalation = session.get(Escalation, escalation_id)
        assert escalation is not None
        assert escalation.handled_at is not None
        assert escalation.handled_by == "Nurse Ana"
        assert escalation.note == "Called back, advised urgent care"


def test_marking_handled_needs_a_note(staff: FlaskClient, database: Database) -> None:
    escalation_id = add_escalation(database)
    path = f"/care/escalations/{escalation_id}"
    response = staff.post(f"{path}/handle", data={"csrf_token": csrf_token(staff, path)})
    assert response.status_code == 400
    assert "Write a short note" in response.get_data(as_text=True)


def test_the_first_person_to_handle_an_escalation_wins(
    staff: FlaskClient, database: Database
) -> None:
    escalation_id = add_escalation(
        database, handled_at=dt.datetime(2026, 11, 23, 23), handled_by="Bo", note="done"
    )
    path = f"/care/escalations/{escalation_id}"
    token = csrf_token(staff, "/care")
    staff.post(f"{path}/handle", data={"csrf_token": token, "note": "me too"})
    assert "Someone already marked" in page(staff, "/care")
    with database.Session() as session:
        assert session.get(Escalation, escalation_id).handled_by == "Bo"  # type: ignore[union-attr]


def test_an_unknown_escalation_is_404(staff: FlaskClient) -> None:
    assert staff.get("/care/escalations/999").status_code == 404
    token = csrf_token(staff, "/care")
    response = staff.post("/care/escalations/999/handle", data={"csrf_token": token, "note": "x"})
    assert response.status_code == 404


# --- search --------------------------------------------------------------------------------


@pytest.fixture
def handled_ids(database: Database) -> dict[str, int]:
    """Three handled escalations and one open one."""
    handled = {"handled_at": dt.datetime(2026, 11, 23, 23), "handled_by": "Bo"}
    return {
        "fall": add_escalation(
            database,
            phone="+12125550143",
            detail="I fell down the stairs",
            note="Sent to ER",
            created_at=dt.datetime(2026, 11, 2, 15),
            **handled,
        ),
        "pain": add_escalation(
            database,
            phone="+13055550199",
            detail="dolor de espalda muy fuerte",
            note="Called back in Spanish",
            created_at=dt.datetime(2026, 11, 20, 15),
            **handled,
        ),
        "late": add_escalation(
            database,
            phone="+13055557777",
            detail="pain 100%",
            note="Left a voicemail",
            # 02:00 UTC on the 21st is still the 20th in New York.
            created_at=dt.datetime(2026, 11, 21, 2),
            **handled,
        ),
        "open": add_escalation(database, detail="I fell", created_at=dt.datetime(2026, 11, 22)),
    }


def search(client: FlaskClient, query: str) -> list[int]:
    """The ids a search of handled escalations finds."""
    return sorted(row_ids(page(client, f"/care/handled?{query}")))


def test_handled_escalations_stay_searchable(
    staff: FlaskClient, handled_ids: dict[str, int]
) -> None:
    fall, pain, late = handled_ids["fall"], handled_ids["pain"], handled_ids["late"]
    assert search(staff, "") == sorted([fall, pain, late])
    assert search(staff, "last4=0143") == [fall]
    assert search(staff, "last4=99") == [pain]
    assert search(staff, "q=fell") == [fall]
    assert search(staff, "q=SPANISH+called") == [pain]
    assert search(staff, "q=100%25") == [late]
    assert search(staff, "q=10_") == []
    assert search(staff, "from=2026-11-20&to=2026-11-20") == sorted([pain, late])
    assert search(staff, "from=2026-11-01&to=2026-11-19") == [fall]


def test_a_bad_search_says_what_to_fix(staff: FlaskClient, handled_ids: dict[str, int]) -> None:
    response = staff.get("/care/handled?last4=abcd&from=yesterday")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "type up to 4 digits" in html
    assert "use a date like 2026-11-23" in html


# --- program at a glance -------------------------------------------------------------------


def seed_program(database: Database) -> None:
    """Subscribers, outbound messages over two weeks, and opt-outs."""
    monday = dt.datetime(2026, 11, 16, 15)  # week of Nov 16
    last_monday = dt.datetime(2026, 11, 9, 15)  # week of Nov 9
    with database.Session.begin() as session:
        people = [
            Subscriber(phone="+12125550001", status=Status.ACTIVE, stage=Stage.PREGNANT),
            Subscriber(
                phone="+12125550002", status=Status.ACTIVE, stage=Stage.PREGNANT, language="es"
            ),
            Subscriber(
                phone="+12125550003",
                status=Status.ACTIVE,
                stage=Stage.POSTPARTUM,
                channel=Channel.VOICE,
            ),
            Subscriber(phone="+12125550004", status=Status.STOPPED, stage=Stage.POSTPARTUM),
            Subscriber(phone="+12125550005", status=Status.ENROLLING),
        ]
        session.add_all(people)
        statuses = ["delivered", "delivered", "failed", "undelivered", "sent", "replied", "queued"]
        for n, status in enumerate(statuses):
            session.add(
                Message(
                    phone="+12125550001",
                    direction=Direction.OUTBOUND,
                    status=status,
                    created_at=monday + dt.timedelta(hours=n),
                )
            )
        session.add(
            Message(
                phone="+12125550001",
                direction=Direction.OUTBOUND,
                status="delivered",
                created_at=last_monday,
            )
        )
        session.add(
            Message(
                phone="+12125550001",
                direction=Direction.INBOUND,
                status="received",
                created_at=monday,
            )
        )
        for when in (monday, last_monday, last_monday + dt.timedelta(days=2)):
            session.add(
                ConsentEvent(
                    phone="+12125550004",
                    action=ConsentAction.OPT_OUT,
                    channel="sms",
                    disclosure_id="stop",
                    disclosure_version="1",
                    language="en",
                    occurred_at=when,
                )
            )


def test_program_overview_counts_people_messages_and_opt_outs(database: Database) -> None:
    from zoneinfo import ZoneInfo

    seed_program(database)
    overview = program_overview(
        database.Session, ZoneInfo("America/New_York"), dt.datetime(2026, 11, 20, 12), weeks=3
    )
    assert overview.active_by_stage == {"pregnant": 2, "postpartum": 1}
    assert overview.active_by_language == {"en": 2, "es": 1}
    assert overview.active_by_channel == {"sms": 2, "voice": 1}
    assert overview.by_status == {"active": 3, "enrolling": 1, "stopped": 1}
    weeks = {week.week_start.isoformat(): week for week in overview.weeks}
    assert list(weeks) == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert (weeks["2026-11-16"].sent, weeks["2026-11-16"].delivered) == (6, 2)
    assert (weeks["2026-11-16"].failed, weeks["2026-11-16"].opt_outs) == (2, 1)
    assert (weeks["2026-11-09"].sent, weeks["2026-11-09"].opt_outs) == (1, 2)
    assert weeks["2026-11-02"].sent == 0


def test_program_page_shows_the_numbers_as_tables(staff: FlaskClient, database: Database) -> None:
    seed_program(database)
    html = page(staff, "/care/program")
    assert "<caption>Active, by stage</caption>" in html
    assert '<th scope="row">Pregnant</th><td class="num">2</td>' in html
    assert '<th scope="row">Phone calls</th><td class="num">1</td>' in html
    assert '<table id="weekly">' in html
    assert 'class="chart" aria-hidden="true"' in html


# --- the status line and the alert banner ---------------------------------------------------


def test_the_status_line_says_when_the_scheduler_last_sent_and_what_waits(
    staff: FlaskClient, database: Database
) -> None:
    assert "Scheduler: no send pass yet. Is the scheduler running?" in page(staff, "/care")
    heartbeats.record_pass(
        database, heartbeats.SEND_JOB, utcnow() - dt.timedelta(minutes=3), "host:1", "sent 1"
    )
    html = page(staff, "/care/program")
    assert "Scheduler: last send pass 3 minutes ago." in html
    assert "Messages waiting: 0. Failed alerts: 0." in html
    assert 'role="alert"' not in html
    heartbeats.record_pass(
        database, heartbeats.SEND_JOB, utcnow() - dt.timedelta(hours=2), "host:1", "sent 1"
    )
    assert "last send pass 2 hours ago. Is the scheduler running?" in page(staff, "/care")


def test_an_alert_that_could_not_be_sent_shows_a_red_banner_until_it_is_handled(
    staff: FlaskClient, database: Database
) -> None:
    now = utcnow()
    sms_failed = add_escalation(database, created_at=now)
    webhook_failed = add_escalation(database, created_at=now)
    with database.engine.begin() as connection:
        planned.queue_care_team_alerts(database, connection, now, dt.timedelta(days=1))
        alert_id = connection.execute(
            sa.select(PlannedMessage.id).where(PlannedMessage.escalation_id == sms_failed)
        ).scalar_one()
        connection.execute(sa.delete(PlannedMessage).where(PlannedMessage.id != alert_id))
    with database.Session.begin() as session:
        sending = session.get(PlannedMessage, alert_id)
        assert sending is not None
        sending.attempts, sending.status = 1, PlanStatus.SENDING
    assert "alert-banner" not in page(staff, "/care")  # on its way, not failed
    with database.Session.begin() as session:
        planned.retry_alert_later(session, alert_id, now, 20503, "HTTP 503", now)
        escalations.note_webhook_failure(session, webhook_failed, now, "connection refused")
    html = page(staff, "/care")
    banner = re.search(r'<div class="alert-banner" role="alert".*?</div>', html, re.S)
    assert banner, html
    assert "2 care-team alerts could not be sent." in banner.group()
    assert f"/care/escalations/{sms_failed}" in banner.group()
    assert f"/care/escalations/{webhook_failed}" in banner.group()
    assert "Failed alerts: 2." in html
    assert "Messages waiting: 1." in html  # the alert itself, due again now

    for escalation_id in (sms_failed, webhook_failed):
        path = f"/care/escalations/{escalation_id}"
        form = {"csrf_token": csrf_token(staff, path), "note": "Called back"}
        assert staff.post(f"{path}/handle", data=form).status_code == 302
    html = page(staff, "/care")
    assert "alert-banner" not in html and "Failed alerts: 0." in html
