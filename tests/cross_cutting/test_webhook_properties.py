"""Property-based: whatever a signed request to a phone-line webhook holds, never a 500."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.conftest import PUBLIC_BASE_URL, twilio_signature

PATHS = [
    "/voice",
    "/voice/menu?lang=en&node=main&tries=0",
    "/voice/menu?lang=es&node=tips&tries=1",
    "/voice/menu?lang=xx&node=nowhere&tries=-4",
    "/voice/menu?lang=en&node=stop",
    "/voice/menu?lang=en&node=sub_date&stage=pregnant",
    "/voice/menu?lang=en&node=sub_date_confirm&stage=pregnant&date=2027-02-30",
    "/voice/menu?lang=es&node=sub_consent&stage=postpartum&channel=voice&date=2026-11-01",
    "/voice/menu?lang=en&node=offer&about=tip_calcium&tries=99999999999999999999",
    "/voice/reminder?message=checkin.week6&lang=en",
    "/voice/reminder?message=nonsense&lang=es",
    "/voice/reminder/answer?message=checkin.week6&lang=en",
    "/voice/reminder/answer?message=reminder.calcium.1&lang=es&tries=abc",
]
QUERY_KEYS = ["lang", "node", "tries", "stage", "date", "channel", "about", "message", "x"]
FIELDS = ["CallSid", "AccountSid", "From", "To", "Digits", "SpeechResult", "AnsweredBy", "Extra"]
values = st.one_of(
    st.text(max_size=30),
    st.text(min_size=1000, max_size=1700),
    st.sampled_from(
        [
            "+12125550143",
            "CA" + "1" * 32,
            "1",
            "9",
            "*",
            "#",
            "0605#",
            "machine_end_beep",
            "",
            "-1",
            "1" * 40,
            "</Say><Dial>+19005550100</Dial>",
            # NUL: PostgreSQL cannot store it, so the store cleans it.
            "\x00",
            "severe back pain\x00",
        ]
    ),
)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check(app: Flask, path: str, pairs: list[tuple[str, str]]) -> None:
    """Post signed; only TwiML or a clear 400, never a 500 or a traceback."""
    form = MultiDict(pairs)
    signature = twilio_signature(PUBLIC_BASE_URL + path, form)
    response = app.test_client().post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code in (200, 400), (path, response.status_code)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    if response.status_code == 200:
        root = ET.fromstring(body)
        assert root.tag == "Response"
        assert root.find(".//Dial") is None


@SETTINGS
@given(
    path=st.sampled_from(PATHS),
    pairs=st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=2 * len(FIELDS)),
)
def test_any_signed_voice_request_gets_twiml_or_a_clear_400(
    app: Flask, path: str, pairs: list[tuple[str, str]]
) -> None:
    check(app, path, pairs)


@SETTINGS
@given(
    base=st.sampled_from(["/voice/menu", "/voice/reminder", "/voice/reminder/answer"]),
    query=st.dictionaries(st.sampled_from(QUERY_KEYS), st.text(max_size=30), max_size=6),
    digits=st.text(max_size=12),
)
def test_any_query_string_on_a_signed_call_step_gets_twiml_or_a_clear_400(
    app: Flask, base: str, query: dict[str, str], digits: str
) -> None:
    path = f"{base}?{urlencode(query)}" if query else base
    pairs = [("CallSid", "CA" + "2" * 32), ("From", "+12125550143"), ("To", "+12125550143")]
    check(app, path, [*pairs, ("Digits", digits)])
