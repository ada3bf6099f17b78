"""Property-based: whatever the care team's forms and searches receive, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.store.db import Database
from service.web import create_app
from tests.conftest import app_config
from tests.support.care_helpers import (
    SHARED_PASSWORD,
    add_escalation,
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


@SETTINGS
@given(name=words, password=words, target=words)
def test_any_login_form_answers_a_page_or_a_redirect(
    database: Database, monkeypatch: pytest.MonkeyPatch, name: str, password: str, target: str
) -> None:
    use_fast_password_hashing(monkeypatch)
    app = create_app(app_config(database.url, CARE_TEAM_PASSWORD=SHARED_PASSWORD))
    client = app.test_client()
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
    app.extensions["boneline"].db.dispose()
