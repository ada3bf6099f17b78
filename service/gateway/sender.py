"""Our one boundary to Twilio's REST API: send a text, place a call, classify what went wrong."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
)

from service.config import Settings
from service.domain.bridge import STAFF_RING_SECONDS
from service.domain.phones import mask
from service.gateway.twilio_client import build_twilio_client
from service.vocabulary import SendFailure

log = logging.getLogger(__name__)

CALL_STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")
OPTED_OUT = 21610
INVALID_NUMBER_CODES = frozenset({21211, 21614})
# What a Twilio SID looks like: two letters and 32 hex digits.
SID_SHAPE = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")


class SendError(Exception):
    """A send that did not go out as asked: what it means, and its cause in a few words."""

    def __init__(
        self,
        failure: SendFailure,
        code: int | None = None,
        status: int | None = None,
        cause: str = "",
    ):
        self.failure = failure
        self.code = code
        self.status = status
        self.cause = cause or describe_http(status, code) or str(failure)
        super().__init__(self.cause)


def describe_http(status: int | None, code: int | None) -> str:
    """An HTTP answer in a few words: `HTTP 503, Twilio code 20503`."""
    parts = [f"HTTP {status}"] if status else []
    if code:
        parts.append(f"Twilio code {code}")
    return ", ".join(parts)


class Sender(Protocol):
    """Sends one text or places one call; returns the Twilio SID or raises SendError."""

    def send_sms(self, to: str, body: str) -> str:
        """Send a text."""
        ...

    def place_call(self, to: str, url: str) -> str:
        """Place a call that plays the TwiML at `url`."""
        ...


class CareSender(Protocol):
    """What the care page sends through: a text, and a call that rings a staff member first."""

    def send_sms(self, to: str, body: str) -> str:
        """Send a text."""
        ...

    def place_bridge_call(self, to: str, url: str, status_callback: str) -> str:
        """Ring a staff member's phone; `url` serves the TwiML once they answer."""
        ...


class TwilioSender:
    """The real sender: Twilio's REST API (or a compatible one at TWILIO_API_BASE_URL)."""

    def __init__(self, settings: Settings) -> None:
        """Build the REST client from settings."""
        self.settings = settings
        self.client = build_twilio_client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            settings.TWILIO_API_BASE_URL,
            timeout=settings.TWILIO_TIMEOUT_SECONDS,
        )

    def send_sms(self, to: str, body: str) -> str:
        """Send through the Messaging Service when configured, else from our number."""
        settings = self.settings
        sender: dict[str, Any] = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_PHONE_NUMBER}
        )
        callback = settings.public_url("/sms/status")
        if callback:
            sender["status_callback"] = callback
        return self._create(lambda: self.client.messages.create(to=to, body=body, **sender))

    def place_call(self, to: str, url: str) -> str:
        """Call from our number, leave the message after a machine's greeting, report status."""
        options: dict[str, Any] = {"machine_detection": "DetectMessageEnd"}
        callback = self.settings.public_url("/voice/status")
        if callback:
            options.update(
                status_callback=callback,
                status_callback_method="POST",
                status_callback_event=list(CALL_STATUS_EVENTS),
            )
        return self._create(
            lambda: self.client.calls.create(
                to=to, from_=self.settings.TWILIO_PHONE_NUMBER, url=url, **options
            )
        )

    def place_bridge_call(self, to: str, url: str, status_callback: str) -> str:
        """Ring a staff member from our number; every step of the call reports its status.

        No machine detection: the TwiML asks a person to press 1 before the person is dialed,
        which a voicemail cannot do.
        """
        return self._create(
            lambda: self.client.calls.create(
                to=to,
                from_=self.settings.TWILIO_PHONE_NUMBER,
                url=url,
                method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=list(CALL_STATUS_EVENTS),
                timeout=STAFF_RING_SECONDS,
            )
        )

    def close(self) -> None:
        """Close pooled connections."""
        self.client.http_client.close()

    @staticmethod
    def _create(create: Callable[[], Any]) -> str:
        """Run one create call and turn every failure, and every odd answer, into a SendError."""
        try:
            sid = create().sid
        except (TwilioRestException, TwilioServiceException) as error:
            failure = classify_rest_error(error.status, error.code)
            raise SendError(failure, error.code, error.status) from error
        except requests.exceptions.RequestException as error:
            failure, cause = classify_transport_error(error)
            raise SendError(failure, cause=cause) from error
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            # A 2xx whose body is not JSON (or not a resource): it may have been sent.
            cause = f"an answer that is not Twilio's JSON ({type(error).__name__})"
            raise SendError(SendFailure.UNEXPECTED, cause=cause) from error
        if not isinstance(sid, str) or not SID_SHAPE.fullmatch(sid):
            raise SendError(SendFailure.UNEXPECTED, cause="an answer without a Twilio SID")
        return sid


def classify_rest_error(status: int, code: int | None) -> SendFailure:
    """What an HTTP error from Twilio means (twilio-testing.md)."""
    if code == OPTED_OUT:
        return SendFailure.OPTED_OUT
    if code in INVALID_NUMBER_CODES:
        return SendFailure.INVALID_NUMBER
    if status == 429 or code == 20429 or status >= 500:
        return SendFailure.RETRY
    return SendFailure.REJECTED


def classify_transport_error(
    error: requests.exceptions.RequestException,
) -> tuple[SendFailure, str]:
    """Retry only what provably never reached Twilio; anything else has an unknown outcome.

    Returns what it means and the cause in a few words, for the log and the row.
    """
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return SendFailure.RETRY, "timeout while connecting"
    if isinstance(error, requests.exceptions.ReadTimeout):
        return SendFailure.UNKNOWN, "timeout waiting for the answer (the request went out)"
    if isinstance(error, requests.exceptions.ConnectionError):
        reason = error.args[0] if error.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if isinstance(reason, NameResolutionError):
            return SendFailure.RETRY, "the API host name did not resolve"
        if isinstance(reason, NewConnectionError):
            refused = isinstance(_root_cause(reason), ConnectionRefusedError)
            return SendFailure.RETRY, "connection refused" if refused else "could not connect"
        if isinstance(reason, ConnectTimeoutError):
            return SendFailure.RETRY, "timeout while connecting"
        return SendFailure.UNKNOWN, "connection dropped after the request went out"
    return SendFailure.UNKNOWN, f"{type(error).__name__} after the request went out"


def _root_cause(error: BaseException) -> BaseException:
    """The innermost exception an error was raised from."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return error


class PrintingSender:
    """The local demo's sender: says what it would send, keeps it, and returns a made-up SID."""

    def __init__(self, echo: Callable[[str], None] = print) -> None:
        """Print with `echo` (the CLI passes click.echo; the simulator prints nothing itself)."""
        self.echo = echo
        self.sent: list[tuple[str, str, str]] = []

    def send_sms(self, to: str, body: str) -> str:
        """Print the text instead of sending it."""
        self.sent.append(("sms", to, body))
        self.echo(f"would send to {mask(to)}: {body}")
        return "SM" + uuid.uuid4().hex

    def place_call(self, to: str, url: str) -> str:
        """Print the call instead of placing it."""
        self.sent.append(("call", to, url))
        self.echo(f"would call {mask(to)}: {url}")
        return "CA" + uuid.uuid4().hex

    def place_bridge_call(self, to: str, url: str, status_callback: str) -> str:
        """Print the care team's call instead of placing it."""
        self.sent.append(("bridge", to, url))
        self.echo(f"would call the care team member at {mask(to)}, then the person: {url}")
        return "CA" + uuid.uuid4().hex

    def take(self) -> list[tuple[str, str, str]]:
        """What was sent since the last call, oldest first, as (sms or call, to, text or URL)."""
        sent, self.sent = self.sent, []
        return sent

    def close(self) -> None:
        """Nothing to close."""


def sender_for(
    settings: Settings, echo: Callable[[str], None] = print
) -> TwilioSender | PrintingSender:
    """Twilio when it is configured, else the printing demo sender."""
    if settings.can_send:
        return TwilioSender(settings)
    log.warning("Twilio is not configured: reminders are printed, not sent")
    return PrintingSender(echo)
