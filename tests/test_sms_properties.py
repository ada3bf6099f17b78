"""Property-based: whatever Twilio (or an attacker with a valid signature) posts, never a 500."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PUBLIC_BASE_URL, twilio_signature

FIELDS = ["MessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "FromZip", "Extra"]
values = st.one_of(
    st.text(max_size=40),
    st.text(min_size=1500, max_size=2000),
    st.sampled_from(["+12125550143", "+13105550188", "JOIN", "STOP", "1", "", "0", "-1"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(form=st.dictionaries(st.sampled_from(FIELDS), values, max_size=len(FIELDS)))
def test_any_signed_sms_form_gets_twiml_or_a_clear_400(app: Flask, form: dict[str, str]) -> None:
    form = {key: value.replace("\x00", "") for key, value in form.items()}
    signature = twilio_signature(PUBLIC_BASE_URL + "/sms", form)
    response = app.test_client().post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code in (200, 400), response.status_code
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    if response.status_code == 200:
        root = ET.fromstring(body)
        assert root.tag == "Response" and len(root.findall("Message")) >= 1
