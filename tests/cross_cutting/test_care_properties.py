"""Property-based: whatever the care team's forms and searches receive, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.clock import utcnow
from service.store.db import Database
from service.store.models import Escalation
from service.web import create_app
from tests.conftest import PUBLIC_BASE_URL, app_config, twilio_signature
from tests.support.care_helpers import (
    NURSE_PASSWORD,
    SHARED_PASSWORD,
    add_escalation,
    add_staff,
    csrf_token,
    log_in,
    use_fast_password_hashing,
)

SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
words = st.one_of(
    st.text(max_size=40),
    st.text(min_size=1500, max_size=5000),
    st.sampled_from(
        [
            "",
            "0143",
            "2026-11-23",
            "2026-02-30",
            "'; DROP TABLE escalations; --",
            "<script>alert(1)</script>",
            "%",
            "_",
            "\\",
            "/care",
            "//evil.example",
            # NUL: PostgreSQL cannot store it, so the store cleans it.
            "\x00",
            "called\x00 back",
        ]
    ),
)
OK = {200, 302, 400, 401, 404, 429}


@pytest.fixture
def staff(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlaskClient]:
    """A logged-in care team client, with one escalation to act on."""
    use_fast_password_hashing(monkeypatch)
    app: Flask = create_app(
        app_config(database.url, CARE_TEAM_PASSWORD=SHARED_PASSWORD, SECRET_KEY="k" * 32)
    )
    add_escalation(database)
    client = app.test_client()
    assert log_in(client).status_code == 302
    yield client
    app.extensions["boneline"].db.dispose()


@SETTINGS
@given(last4=words, q=words, start=words, end=words)
def test_any_search_of_handled_escalations_answers_a_page(
    staff: FlaskClient, last4: str, q: str, start: str, end: str
) -> None:
    query = {"last4": last4, "q": q, "from": start, "to": end}
    response = staff.get("/care/handled", query_string=query)
    assert response.status_code in (200, 400)
    assert "Traceback" not in response.get_data(as_text=True)


@SETTINGS
@given(note=words, escalation=st.integers(min_value=-5, max_value=2**70), token=st.booleans())
def test_any_handled_form_answers_a_page_or_a_redirect(
    staff: FlaskClient, note: str, escalation: int, token: bool
) -> None:
    form = {"note": note}
    if token:
        form["csrf_token"] = csrf_token(staff, "/care")
    response = staff.post(f"/care/escalations/{escalation}/handle", data=form)
    assert response.status_code in OK
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.fixture
def login_app(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with the shared care-team password, built once for all of a test's examples."""
    use_fast_password_hashing(monkeypatch)
    app = create_app(app_config(database.url, CARE_TEAM_PASSWORD=SHARED_PASSWORD))
    yield app
    app.extensions["boneline"].db.dispose()


@SETTINGS
@given(name=words, password=words, target=words)
def test_any_login_form_answers_a_page_or_a_redirect(
    login_app: Flask, name: str, password: str, target: str
) -> None:
    client = login_app.test_client()
    form = {
        "csrf_token": csrf_token(client),
        "name": name,
        "password": password,
        "next": target,
    }
    response = client.post("/care/login", data=form)
    assert response.status_code in OK
    location = response.headers.get("Location", "")
    assert not location.startswith(("http", "//")), "never sent to another site"


@pytest.fixture
def nurse(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlaskClient]:
    """A nurse logged in with her own account (Twilio not set up: sends are printed)."""
    use_fast_password_hashing(monkeypatch)
    app: Flask = create_app(
        app_config(database.url, SECRET_KEY="k" * 32, TWILIO_PHONE_NUMBER="+15005550006")
    )
    add_escalation(database, created_at=utcnow())
    add_staff(database, "Ana")
    client = app.test_client()
    assert log_in(client, "Ana", NURSE_PASSWORD).status_code == 302
    yield client
    app.extensions["boneline"].db.dispose()


@SETTINGS
@given(
    text=st.one_of(words, st.text(alphabet="🙂ñá\x00 a", max_size=400)),
    action=st.sampled_from(["text", "call", "reveal"]),
    escalation=st.integers(min_value=-5, max_value=2**40),
    known=st.booleans(),
)
def test_any_text_call_or_reveal_from_the_page_answers_a_page_or_a_redirect(
    nurse: FlaskClient, database: Database, text: str, action: str, escalation: int, known: bool
) -> None:
    with database.Session() as session:
        existing = session.scalars(sa.select(Escalation.id)).first()
    target = existing if known else escalation
    form = {"csrf_token": csrf_token(nurse, "/care"), "words": text}
    response = nurse.post(f"/care/escalations/{target}/{action}", data=form)
    assert response.status_code in OK
    assert "Traceback" not in response.get_data(as_text=True)


@SETTINGS
@given(
    step=st.sampled_from(["", "/connect", "/dialed", "/whisper", "/status"]),
    contact=st.one_of(st.integers(min_value=-1, max_value=2**40).map(str), words),
    leg=st.sampled_from(["staff", "person", "", "other"]),
    tries=st.one_of(st.integers(min_value=-1, max_value=10**6).map(str), words),
    form=st.dictionaries(
        st.sampled_from(
            ["CallSid", "CallStatus", "CallDuration", "Digits", "DialCallStatus", "To", "From"]
        ),
        words,
        max_size=7,
    ),
)
def test_any_signed_bridge_request_answers_twiml_or_a_clear_4xx(
    nurse: FlaskClient,
    step: str,
    contact: str,
    leg: str,
    tries: str,
    form: dict[str, str],
) -> None:
    query = urlencode({"contact": contact, "leg": leg, "tries": tries})
    path = f"/voice/bridge{step}?{query}"
    signature = twilio_signature(PUBLIC_BASE_URL + path, form)
    response = nurse.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code in (200, 204, 400)
    if response.status_code == 200:
        assert response.get_data(as_text=True).startswith("<?xml")
