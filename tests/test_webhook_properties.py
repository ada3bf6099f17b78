"""Property-based: whatever a signed request to a phone-line webhook holds, never a 500."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PUBLIC_BASE_URL, twilio_signature

PATHS = [
    "/voice",
    "/voice/menu?lang=en&node=main&tries=0",
    "/voice/menu?lang=es&node=tips&tries=1",
    "/voice/menu?lang=xx&node=nowhere&tries=-4",
    "/voice/reminder?message=checkin.week6&lang=en",
    "/voice/reminder?message=nonsense&lang=es",
    "/voice/reminder/answer?message=checkin.week6&lang=en",
]
FIELDS = ["CallSid", "AccountSid", "From", "To", "Digits", "SpeechResult", "AnsweredBy", "Extra"]
values = st.one_of(
    st.text(max_size=30),
    st.text(min_size=1000, max_size=1700),
    st.sampled_from(["+12125550143", "CA" + "1" * 32, "1", "9", "*", "#", "machine_end_beep", ""]),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(PATHS),
    form=st.dictionaries(st.sampled_from(FIELDS), values, max_size=len(FIELDS)),
)
def test_any_signed_voice_request_gets_twiml_or_a_clear_400(
    app: Flask, path: str, form: dict[str, str]
) -> None:
    form = {key: value.replace("\x00", "") for key, value in form.items()}
    signature = twilio_signature(PUBLIC_BASE_URL + path, form)
    response = app.test_client().post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code in (200, 400), (path, response.status_code)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    if response.status_code == 200:
        assert ET.fromstring(body).tag == "Response"
