"""Helpers for driving the voice webhooks like Twilio does, and for reading the TwiML back."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from werkzeug.test import TestResponse

from tests.conftest import TwilioPost

CALLER = "+12125550143"
OUR_NUMBER = "+15005550006"
# Amazon Polly voices and the one language each speaks, from Twilio's text-to-speech voice list.
VALID_VOICES = {
    "Polly.Joanna": "en-US",
    "Polly.Salli": "en-US",
    "Polly.Matthew": "en-US",
    "Polly.Lupe": "es-US",
    "Polly.Penelope": "es-US",
    "Polly.Miguel": "es-US",
}
GOODBYES = ("Goodbye", "Adiós")
_sids = itertools.count(1)


def new_call_sid() -> str:
    """A fresh Twilio-shaped CallSid."""
    return f"CA{next(_sids):032x}"


def call_form(phone: str = CALLER, call_sid: str = "", **extra: str) -> dict[str, str]:
    """The form Twilio posts for a call someone makes to our number."""
    return {
        "CallSid": call_sid or new_call_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": phone,
        "To": OUR_NUMBER,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        **extra,
    }


def placed_call_form(phone: str = CALLER, **extra: str) -> dict[str, str]:
    """The form Twilio posts for a call we placed to `phone`."""
    return {
        "CallSid": new_call_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": OUR_NUMBER,
        "To": phone,
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
        **extra,
    }


@dataclass(frozen=True)
class Heard:
    """A TwiML answer, read back: what was said, and where the next answer goes."""

    root: ET.Element

    @property
    def gather(self) -> ET.Element | None:
        """The <Gather>, if the call waits for an answer."""
        return self.root.find("Gather")

    @property
    def action(self) -> str:
        """The URL the next keypress or words go to."""
        assert self.gather is not None, "the call hung up"
        return self.gather.attrib["action"]

    @property
    def says(self) -> list[ET.Element]:
        """Every <Say>, inside the <Gather> or not, in order."""
        return list(self.root.iter("Say"))

    @property
    def text(self) -> str:
        """Everything said, as one string."""
        return " ".join(say_text(say) for say in self.says)

    @property
    def hangs_up(self) -> bool:
        """Whether the call ends here."""
        return self.root.find("Hangup") is not None


def say_text(say: ET.Element) -> str:
    """The words of one <Say>, with its SSML pieces joined."""
    return " ".join("".join(say.itertext()).split())


def heard(response: TestResponse) -> Heard:
    """Parse a TwiML response and check what every answer must have."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    result = Heard(ET.fromstring(response.get_data(as_text=True)))
    check_twiml(result)
    return result


def check_twiml(result: Heard) -> None:
    """No bare hang-up; every prompt takes keys and words, waits long enough, and has a voice."""
    root = result.root
    assert root.tag == "Response"
    assert result.says, "nothing is said"
    for say in result.says:
        voice = say.attrib.get("voice", "")
        assert VALID_VOICES.get(voice) == say.attrib.get("language"), say.attrib
        assert say_text(say)
        assert all(node.attrib.get("rate") for node in say.iter("prosody"))
    gather = result.gather
    if gather is None:
        children = [child.tag for child in root]
        assert children[-1] == "Hangup" and children.count("Say") >= 1, children
        assert any(word in result.text for word in GOODBYES), result.text
        return
    assert gather.attrib["input"] == "dtmf speech"
    assert int(gather.attrib["timeout"]) >= 10
    assert gather.attrib["action"].startswith("/voice/")
    assert gather.attrib["actionOnEmptyResult"] == "true"
    assert gather.attrib["language"] in ("en-US", "es-US")
    assert gather.attrib.get("hints"), "speech recognition gets no hints"
    assert list(gather.iter("Say")), "the prompt says nothing"
    redirect = root.find("Redirect")
    assert redirect is not None and redirect.text == gather.attrib["action"]


def press(post: TwilioPost, path: str, digits: str = "", speech: str = "", **form: str) -> Heard:
    """Answer a prompt with keys, words, or (both empty) silence."""
    params = call_form(**form)
    if digits:
        params["Digits"] = digits
    if speech:
        params["SpeechResult"] = speech
        params["Confidence"] = "0.9"
    return heard(post(path, params))
