"""Twilio's request signature: whether a webhook really came from Twilio."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

__all__ = ["SIGNATURE_HEADER", "SIGNATURE_SETTINGS_HEADER", "signature_is_valid"]


def signature_is_valid(
    auth_token: str,
    url: str,
    params: Mapping[str, str],
    signature: str,
    settings_header: str | None = None,
) -> bool:
    """Whether `signature` is Twilio's for this URL and form under our auth token."""
    if not signature:
        return False
    validator = RequestValidator(auth_token)
    algorithm = get_signature_algorithm(settings_header)
    return bool(validator.validate(url, params, signature, algorithm))
