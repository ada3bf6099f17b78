"""Phone numbers: parse to E.164, mask for logs, and find the owner's local time zone."""

from __future__ import annotations

import phonenumbers
import zipcodes
from phonenumbers import timezone as phone_timezones

FALLBACK_TIME_ZONE = "America/New_York"


class InvalidPhoneNumber(ValueError):
    """The text is not a valid phone number."""


def to_e164(raw: str, region: str = "US") -> str:
    """Parse a phone number as people and Twilio write it, and return it in E.164."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(str(error)) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(phone: str) -> str:
    """A number written for people to read and dial: `+1 212-555-0143`."""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask(phone: str) -> str:
    """Hide all but the last four digits, for logs and the care team's alerts."""
    digits = phone.lstrip("+")
    if len(digits) <= 4:
        return "***"
    return "***" + digits[-4:]


def zip_time_zone(zip_code: str | None) -> str | None:
    """The IANA time zone of a US ZIP code, when the ZIP is known."""
    if not zip_code:
        return None
    five = zip_code.strip()[:5]
    if len(five) != 5 or not five.isdigit():
        return None
    try:
        matches = zipcodes.matching(five)  # type: ignore[no-untyped-call]
    except (TypeError, ValueError):
        return None
    zone = matches[0].get("timezone") if matches else None
    return str(zone) if zone else None


def area_code_time_zones(phone: str) -> list[str]:
    """The time zones the number's area code covers (several for toll-free or split codes)."""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return []
    zones = phone_timezones.time_zones_for_number(number)
    return [zone for zone in zones if zone != phone_timezones.UNKNOWN_TIMEZONE]


def local_time_zone(phone: str, zip_code: str | None = None) -> str:
    """The person's time zone: from the ZIP code when known, else from the area code."""
    from_zip = zip_time_zone(zip_code)
    if from_zip:
        return from_zip
    zones = area_code_time_zones(phone)
    if len(zones) == 1:
        return zones[0]
    return FALLBACK_TIME_ZONE
