"""What every Twilio webhook view shares: the signature check and reading its parameters."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Response, abort, current_app, request

from service.config import Settings
from service.domain.phones import InvalidPhoneNumber, to_e164
from service.gateway.signature import SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER
from service.gateway.signature import signature_is_valid as twilio_signature_is_valid

log = logging.getLogger(__name__)

SID_SHAPE = re.compile(r"[A-Za-z0-9]{1,64}")
ZIP_SHAPE = re.compile(r"(\d{5})(?:-\d{4})?")

P = ParamSpec("P")
R = TypeVar("R")


def settings() -> Settings:
    """The running app's settings."""
    value: Settings = current_app.extensions["boneline"].settings
    return value


def signed_url() -> str:
    """The URL Twilio signed: the configured public base URL, else the (proxy-fixed) request URL."""
    public = settings().public_url(request.full_path if request.query_string else request.path)
    return public or request.url


def signature_is_valid() -> bool:
    """Whether X-Twilio-Signature matches this request under our auth token."""
    return twilio_signature_is_valid(
        settings().TWILIO_AUTH_TOKEN,
        signed_url(),
        request.form,
        request.headers.get(SIGNATURE_HEADER, ""),
        request.headers.get(SIGNATURE_SETTINGS_HEADER),
    )


def twilio_signed(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Refuse (403) any request Twilio did not sign, unless the app runs in local demo mode."""

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if not settings().demo_mode and not signature_is_valid():
            log.warning("refused a webhook with a missing or wrong signature: %s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return checked


def required_form_value(name: str) -> str:
    """A form parameter the webhook cannot do without; 400 when it is missing or empty."""
    value = request.form.get(name, "").strip()
    if not value:
        abort(400, description=f"missing parameter {name}")
    return value


def twilio_sid(name: str) -> str | None:
    """An optional Twilio SID parameter (MessageSid, CallSid); 400 when it is not SID-shaped."""
    value = request.form.get(name, "").strip()
    if not value:
        return None
    if not SID_SHAPE.fullmatch(value):
        abort(400, description=f"{name} is not a Twilio SID")
    return value


def zip_code(name: str = "FromZip") -> str | None:
    """A US ZIP code Twilio sends (the sender's by default) when it knows it; else None."""
    match = ZIP_SHAPE.fullmatch(request.form.get(name, "").strip())
    return match.group(1) if match else None


def caller_number(name: str = "From") -> str:
    """The E.164 number of the person on the other end; 400 when it is not a phone number."""
    try:
        return to_e164(required_form_value(name), settings().DEFAULT_REGION)
    except InvalidPhoneNumber:
        abort(400, description=f"{name} is not a phone number")
