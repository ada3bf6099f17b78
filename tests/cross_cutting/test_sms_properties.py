"""Property-based: whatever Twilio (or an attacker with a valid signature) posts, never a 500.

Values include NUL, which PostgreSQL cannot store: these run on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from service.store.db import Database
from service.web import create_app
from tests.conftest import PUBLIC_BASE_URL, app_config, twilio_signature
from tests.support.sms_helpers import sms_form

FIELDS = ["MessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "FromZip", "Extra"]
values = st.one_of(
    st.text(max_size=40),
    st.text(min_size=1500, max_size=2000),
    st.text(min_size=4000, max_size=6000),
    st.sampled_from(
        [
            "+12125550143",
            "+13105550188",
            "JOIN",
            "STOP",
            "DELETE",
            "1",
            "",
            "0",
            "-1",
            "abc",
            "1e309",
            "NaN",
            "[]",
            "{}",
            "null",
            "SM" + "f" * 32,
            "</Message><Redirect>https://evil.example</Redirect>",
            "'; DROP TABLE messages; --",
            # NUL: PostgreSQL cannot store it, so the store cleans it (it once gave a 500).
            "\x00",
            "JOIN\x00",
            "my back hurts so bad\x00 I cannot stand",
        ]
    ),
)
# Repeated fields arrive as several values for one name; Twilio signs every value.
forms = st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=2 * len(FIELDS))
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def roomy_app(database: Database) -> Iterator[Flask]:
    """The app with loop protection out of the way (examples all come from a few numbers)."""
    app = create_app(
        app_config(database.url, LOOP_LIMIT_MESSAGES=1_000_000, LOOP_REPEAT_LIMIT=1_000_000)
    )
    yield app
    app.extensions["boneline"].db.dispose()


def post_signed(app: Flask, pairs: list[tuple[str, str]]) -> tuple[int, str]:
    """Post a form (names may repeat) signed like Twilio; the status and the body."""
    form = MultiDict(pairs)
    signature = twilio_signature(PUBLIC_BASE_URL + "/sms", form)
    response = app.test_client().post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    return response.status_code, response.get_data(as_text=True)


@SETTINGS
@given(pairs=forms)
def test_any_signed_sms_form_gets_twiml_or_a_clear_400(
    roomy_app: Flask, pairs: list[tuple[str, str]]
) -> None:
    status, body = post_signed(roomy_app, pairs)
    assert status in (200, 400), status
    assert "Traceback" not in body
    if status == 200:
        root = ET.fromstring(body)
        assert root.tag == "Response" and len(root.findall("Message")) >= 1


@SETTINGS
@given(body=st.text(max_size=2000), extra=st.text(max_size=1700), sid=st.text(max_size=70))
def test_any_text_from_a_real_number_is_answered_with_escaped_twiml(
    roomy_app: Flask, body: str, extra: str, sid: str
) -> None:
    form = sms_form(body, sid=sid or None)
    pairs = [*form.items(), ("Body", extra)]
    status, document = post_signed(roomy_app, pairs)
    if status == 400:
        assert "MessageSid" in document
        return
    assert status == 200
    root = ET.fromstring(document)
    assert root.tag == "Response"
    assert {child.tag for child in root} == {"Message"}


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/json", b'{"From": "+12125550143", "Body": "JOIN"}'),
        ("text/xml", b"<Body>JOIN</Body>"),
        ("application/x-www-form-urlencoded", b"From=%2B12125550143&Body=%FF%FE%00&MessageSid=SM1"),
        ("application/x-www-form-urlencoded", b"From&Body&&=&%%%"),
        ("multipart/form-data; boundary=x", b"--x\r\nnot really multipart"),
        ("application/x-www-form-urlencoded", b""),
    ],
)
def test_odd_bodies_are_refused_with_a_4xx_not_a_500(
    roomy_app: Flask, content_type: str, data: bytes
) -> None:
    signature = twilio_signature(PUBLIC_BASE_URL + "/sms", {})
    response = roomy_app.test_client().post(
        "/sms", data=data, content_type=content_type, headers={"X-Twilio-Signature": signature}
    )
    assert 400 <= response.status_code < 500
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_body_over_64_kilobytes_is_refused_as_too_large(roomy_app: Flask) -> None:
    form = sms_form("x" * 70_000)
    signature = twilio_signature(PUBLIC_BASE_URL + "/sms", form)
    response = roomy_app.test_client().post(
        "/sms", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 413
